"""Every write path leaves a history entry naming the account and the fields."""

from __future__ import annotations

import json
from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import click
import pytest
import sqlalchemy as sa

from app.history import acting_as, current_actor
from app.models import (
    Action,
    Attendance,
    AuthSession,
    CalendarToken,
    ChangeKind,
    ChangeLog,
    College,
    Decision,
    Meeting,
    MeetingStatus,
    Member,
    Membership,
    Organisation,
    WorkingGroup,
)
from app.models.accounts import User
from tests.conftest import login
from tests.test_imports import confirm, review_url, upload
from tests.test_meetings_calendar import create_token
from tests.test_meetings_minutes import base_form

CLAIRE = SimpleNamespace(id=7, email="claire@example.org", is_authenticated=True)


@pytest.fixture
def as_claire(monkeypatch):
    """Requests run as a logged-in account, whatever the login machinery."""
    monkeypatch.setattr("app.history.actor._authenticated_user", lambda: CLAIRE)
    return CLAIRE


def entries(db, record) -> list[ChangeLog]:
    return list(
        db.session.execute(
            sa.select(ChangeLog)
            .where(
                ChangeLog.record_type == record.__tablename__,
                ChangeLog.record_id == record.id,
            )
            .order_by(ChangeLog.id)
        ).scalars()
    )


def member_form(member: Member, **changes) -> dict:
    data = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email or "",
        "phone": member.phone or "",
        "town": member.town or "",
        "role": member.role.name,
        "joined_on": member.joined_on.isoformat() if member.joined_on else "",
        "left_on": member.left_on.isoformat() if member.left_on else "",
        "notes": member.notes or "",
    }
    data.update(changes)
    return data


def test_form_edit_records_account_fields_and_previous_values(
    db, admin_client, as_claire, make_member
):
    member = make_member(first_name="Eric", last_name="Soudy", town="Lorient")
    response = admin_client.post(
        f"/admin/member/edit/?id={member.id}",
        data=member_form(member, town="Lanester", notes="Référent STN"),
    )
    assert response.status_code == 302
    last = entries(db, member)[-1]
    assert last.kind == ChangeKind.update
    assert (last.actor_id, last.actor_label) == (7, "claire@example.org")
    assert last.changes == {
        "town": ["Lorient", "Lanester"],
        "notes": [None, "Référent STN"],
    }
    assert last.changed_at.tzinfo is not None
    assert last.changed_at.utcoffset().total_seconds() == 0
    assert last.snapshot["version"] == 2

    page = admin_client.get(f"/admin/member/history/?id={member.id}").get_data(
        as_text=True
    )
    assert "claire@example.org" in page
    assert "Commune" in page and "Lorient" in page and "Lanester" in page
    assert "Restaurer cette version" in page


def test_form_create_records_creation(db, admin_client, as_claire):
    response = admin_client.post(
        "/admin/organisation/new/",
        data={"name": "Lorient Agglomération", "kind": "local_authority", "town": ""},
    )
    assert response.status_code == 302
    org = db.session.execute(sa.select(Organisation)).scalar_one()
    (entry,) = entries(db, org)
    assert entry.kind == ChangeKind.create
    assert entry.actor_label == "claire@example.org"
    assert entry.changes["name"] == [None, "Lorient Agglomération"]
    assert entry.changes["kind"] == [None, "local_authority"]


def test_inline_edit_is_recorded(
    db, admin_client, as_claire, make_member, town_editable
):
    member = make_member(town="Lorient")
    listing = admin_client.get("/admin/member/").get_data(as_text=True)
    assert f'data-pk="{member.id}~1"' in listing
    response = admin_client.post(
        "/admin/member/ajax/update/",
        data={"list_form_pk": f"{member.id}~1", "town": "Quéven"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    last = entries(db, member)[-1]
    assert last.actor_label == "claire@example.org"
    assert last.changes == {"town": ["Lorient", "Quéven"]}


def test_bulk_archive_action_is_recorded(db, admin_client, as_claire, make_member):
    a, b = make_member(), make_member()
    response = admin_client.post(
        "/admin/member/action/",
        data={"action": "archive", "rowid": [str(a.id), str(b.id)]},
    )
    assert response.status_code == 302
    for member in (a, b):
        last = entries(db, member)[-1]
        assert last.actor_label == "claire@example.org"
        assert last.changes == {"left_on": [None, date.today().isoformat()]}


def test_import_cli_and_system_paths_name_their_source(db):
    with acting_as("import"):
        db.session.add(College(name="Citoyens", position=1))
        db.session.commit()
    college = db.session.execute(sa.select(College)).scalar_one()
    assert entries(db, college)[0].actor_label == "import"

    with click.Context(click.Command("x")):
        assert current_actor().label == "cli"
        college.position = 2
        db.session.commit()
    last = entries(db, college)[-1]
    assert (last.actor_label, last.changes) == ("cli", {"position": [1, 2]})

    db.session.delete(college)
    db.session.commit()
    gone = db.session.execute(
        sa.select(ChangeLog).where(ChangeLog.kind == ChangeKind.delete)
    ).scalar_one()
    assert gone.actor_label == "système"
    assert gone.snapshot["name"] == "Citoyens"


def test_demo_command_is_recorded_as_demo(app, db):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    labels = set(db.session.execute(sa.select(ChangeLog.actor_label)).scalars())
    assert labels == {"demo"}
    count = db.session.execute(sa.select(sa.func.count(ChangeLog.id))).scalar_one()
    assert count >= 50


def test_previous_value_known_even_for_expired_objects(db, make_member):
    member = make_member(town="Lorient")
    db.session.commit()  # expires every attribute
    member.town = "Ploemeur"
    db.session.commit()
    assert entries(db, member)[-1].changes == {"town": ["Lorient", "Ploemeur"]}


def test_bulk_update_statements_are_refused(db, make_member):
    make_member()
    with pytest.raises(RuntimeError, match="hors du journal"):
        db.session.execute(sa.update(Member).values(town="X"))
    db.session.rollback()
    with pytest.raises(RuntimeError, match="hors du journal"):
        db.session.execute(sa.insert(College), [{"name": "X", "position": 1}])
    db.session.rollback()


def test_restore_version_brings_back_values_and_is_logged(
    db, admin_client, as_claire, make_member
):
    member = make_member(town="Lorient", notes="v1")
    member.town, member.notes = "Lanester", "v2"
    db.session.commit()
    first = entries(db, member)[0]
    response = admin_client.post(
        "/admin/member/history/restore/",
        data={"entry": first.id, "seen_version": member.version},
    )
    assert response.status_code == 302
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert (member.town, member.notes) == ("Lorient", "v1")
    last = entries(db, member)[-1]
    assert last.actor_label == "claire@example.org"
    assert last.changes == {"town": ["Lanester", "Lorient"], "notes": ["v2", "v1"]}
    assert last.note.startswith("Restauration")


def test_restore_with_stale_page_is_refused(db, admin_client, make_member):
    member = make_member(town="Lorient")
    member.town = "Lanester"
    db.session.commit()
    first = entries(db, member)[0]
    response = admin_client.post(
        "/admin/member/history/restore/",
        data={"entry": first.id, "seen_version": 1},
        follow_redirects=True,
    )
    assert "rechargez" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Member, member.id).town == "Lanester"


def test_journal_lists_and_filters(db, admin_client, as_claire, make_member):
    make_member(last_name="Verger")
    with acting_as("import"):
        db.session.add(College(name="Associations", position=2))
        db.session.commit()
    page = admin_client.get("/admin/change_log/").get_data(as_text=True)
    assert "Journal des modifications" in page
    assert "Verger" in page and "Associations" in page
    view_filters = admin_client.get("/admin/change_log/?search=Verger").get_data(
        as_text=True
    )
    assert "Verger" in view_filters and "Associations" not in view_filters
    # Filter links are listed in French.
    assert "Type de fiche" in page and "Compte" in page


def test_journal_filters_by_account_type_and_date(app, db, admin_client, as_claire):
    with acting_as("import"):
        db.session.add(College(name="Associations", position=2))
        db.session.commit()
    db.session.add(Organisation(name="Lorient Agglomération"))
    db.session.commit()
    view = next(
        v for v in app.extensions["admin"][0]._views if v.endpoint == "change_log"
    )

    def arg(column, kind):
        for i, flt in enumerate(view._filters):
            if flt.column.key == column and type(flt).__name__.endswith(kind):
                return f"flt0_{view.get_filter_arg(i, flt)}"
        raise LookupError((column, kind))

    def listing(**params):
        return admin_client.get("/admin/change_log/", query_string=params).get_data(
            as_text=True
        )

    by_account = listing(**{arg("actor_label", "FilterLike"): "import"})
    assert "Associations" in by_account and "Lorient Agglomération" not in by_account
    by_type = listing(**{arg("record_type", "FilterEqual"): "organisation"})
    assert "Lorient Agglomération" in by_type and "Associations" not in by_type
    today = date.today().strftime("%Y-%m-%d")
    since = listing(**{arg("changed_at", "DateTimeGreaterFilter"): f"{today} 00:00:00"})
    assert "Associations" in since
    before = listing(
        **{arg("changed_at", "DateTimeSmallerFilter"): "2000-01-01 00:00:00"}
    )
    assert "Associations" not in before


def test_relation_change_logs_previous_link(db, make_member):
    first = Organisation(name="CDPL")
    second = Organisation(name="Lorient Agglomération")
    db.session.add_all([first, second])
    db.session.commit()
    member = make_member(organisation=first)
    db.session.commit()  # everything expired again
    member.organisation = second
    db.session.commit()
    last = entries(db, member)[-1]
    assert last.changes == {"organisation_id": [first.id, second.id]}
    from app.admin.history import entry_rows

    assert entry_rows(last) == [("Structure", "CDPL", "Lorient Agglomération")]


def test_restore_needs_write_permission(app, db, admin_client, make_member):
    member = make_member(town="Lorient")
    member.town = "Lanester"
    db.session.commit()
    first = entries(db, member)[0]
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "member")
    view.can_write = lambda: False  # a "lecteur" account
    try:
        page = admin_client.get(f"/admin/member/history/?id={member.id}")
        refused = admin_client.post(
            "/admin/member/history/restore/", data={"entry": first.id}
        )
    finally:
        del view.can_write
    assert "Restaurer" not in page.get_data(as_text=True)
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Member, member.id).town == "Lanester"


def test_meeting_history_shows_its_attendance_changes(demo, admin_client):
    from app.models import Attendance, AttendanceStatus, Meeting

    meeting = demo.session.execute(
        sa.select(Meeting).where(Meeting.exchanges.is_not(None))
    ).scalar_one()
    attendance = (
        demo.session.execute(
            sa.select(Attendance).where(
                Attendance.meeting_id == meeting.id,
                Attendance.status == AttendanceStatus.excused,
            )
        )
        .scalars()
        .first()
    )
    attendance.status = AttendanceStatus.present
    demo.session.commit()
    page = admin_client.get(f"/admin/meeting/history/?id={meeting.id}").get_data(
        as_text=True
    )
    assert "Fiches rattachées à cette fiche" in page
    # The change itself, not only the demo's creation entries, is listed.
    assert "<td><del>Excusé·e</del></td><td><ins>Présent·e</ins></td>" in page
    assert f"/admin/attendance/history/?id={attendance.id}" in page


def test_journal_is_for_administrators_only(admin_client, editor_client, reader_client):
    assert reader_client.get("/admin/change_log/").status_code == 403
    assert editor_client.get("/admin/change_log/").status_code == 403
    assert admin_client.get("/admin/change_log/").status_code == 200


def test_unchanged_text_sent_with_crlf_is_no_change(db, admin_client, make_member):
    member = make_member(notes="ligne 1\nligne 2")
    before = len(entries(db, member))
    response = admin_client.post(
        f"/admin/member/edit/?id={member.id}",
        data=member_form(member, notes="ligne 1\r\nligne 2"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, member.id).notes == "ligne 1\nligne 2"
    assert len(entries(db, member)) == before


def _entries_after(db, last_id: int) -> list[ChangeLog]:
    return list(
        db.session.execute(
            sa.select(ChangeLog).where(ChangeLog.id > last_id).order_by(ChangeLog.id)
        ).scalars()
    )


def _last_entry_id(db) -> int:
    return db.session.execute(sa.select(sa.func.max(ChangeLog.id))).scalar() or 0


def test_import_confirm_records_one_entry_per_row_by_the_account(
    app, db, admin_client, make_member, tmp_path, monkeypatch
):
    """A web import is written by the account that confirmed it, row by row."""
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))
    yann = make_member(
        first_name="Yann", last_name="Le Goff", email="yann@example.org", town="Quéven"
    )
    data = (
        "Nom,Prénom,Courriel,Commune\n"
        "Abgrall,Élodie,elodie@example.org,Lorient\n"
        "Le Goff,Yann,yann@example.org,Lanester\n"
    ).encode()
    url = review_url(upload(admin_client, data))
    html = admin_client.get(url).get_data(as_text=True)
    before = _last_entry_id(db)  # the preview writes nothing
    assert confirm(admin_client, url, html).status_code == 302
    new = _entries_after(db, before)
    elodie = db.session.execute(
        sa.select(Member).where(Member.email == "elodie@example.org")
    ).scalar_one()
    assert len(new) == 2
    assert {(e.record_type, e.record_id, e.kind) for e in new} == {
        ("member", yann.id, ChangeKind.update),
        ("member", elodie.id, ChangeKind.create),
    }
    user = admin_client.user
    assert {(e.actor_id, e.actor_label) for e in new} == {(user.id, user.email)}
    assert len({e.batch for e in new}) == 1  # one import, one transaction
    by_kind = {e.kind: e for e in new}
    assert by_kind[ChangeKind.update].changes == {"town": ["Quéven", "Lanester"]}
    created = by_kind[ChangeKind.create].changes
    assert created["last_name"] == [None, "Abgrall"]
    assert created["email"] == [None, "elodie@example.org"]


@pytest.fixture
def small_group_meeting(db, make_member):
    group = WorkingGroup(name="Mobilités")
    members = [make_member(last_name=name) for name in ("Abgrall", "Bréhaut")]
    for member in members:
        group.memberships.append(Membership(member=member))
    meeting = Meeting(
        group=group,
        starts_at=datetime(2024, 3, 5, 18, 0, tzinfo=ZoneInfo("Europe/Paris")),
        status=MeetingStatus.held,
    )
    db.session.add_all([group, meeting])
    db.session.commit()
    return meeting, members


def test_attendance_sheet_save_records_old_and_new_status(
    db, admin_client, small_group_meeting
):
    meeting, (first, second) = small_group_meeting
    url = f"/admin/meeting/attendance/?id={meeting.id}"
    sheet = {f"status-{first.id}": "excused", f"status-{second.id}": "present"}
    assert admin_client.post(url, data=sheet).status_code == 302
    attendance = db.session.execute(
        sa.select(Attendance).where(Attendance.member_id == first.id)
    ).scalar_one()
    before = _last_entry_id(db)
    # Second save: one status changed, the other sent unchanged.
    sheet[f"status-{first.id}"] = "present"
    assert admin_client.post(url, data=sheet).status_code == 302
    (entry,) = _entries_after(db, before)
    assert (entry.record_type, entry.record_id) == ("attendance", attendance.id)
    assert entry.kind == ChangeKind.update
    assert entry.changes == {"status": ["excused", "present"]}
    assert entry.actor_label == admin_client.user.email

    page = admin_client.get(f"/admin/meeting/history/?id={meeting.id}").get_data(
        as_text=True
    )
    assert "<td><del>Excusé·e</del></td><td><ins>Présent·e</ins></td>" in page


def test_history_never_holds_a_secret(app, db, admin_client):
    """Account created, password changed and reset, calendar token created: no
    password, hash or token reaches the change log (snapshots, changes, labels)."""
    passwords = [
        "première phrase de passe bien longue 1",
        "deuxième phrase de passe bien longue 2",
        "troisième phrase de passe bien longue 3",
    ]
    secrets: set[str] = set(passwords)

    def keep_hashes():
        db.session.rollback()
        secrets.update(db.session.execute(sa.select(User.password_hash)).scalars())
        secrets.update(db.session.execute(sa.select(AuthSession.token_hash)).scalars())
        secrets.update(
            db.session.execute(sa.select(CalendarToken.token_hash)).scalars()
        )
        db.session.rollback()

    form = {"email": "claire@example.org", "name": "Claire", "role": "editor"}
    response = admin_client.post(
        "/admin/account/new/",
        data={**form, "active": "y", "new_password": passwords[0]},
    )
    assert response.status_code == 302
    claire = db.session.execute(
        sa.select(User).where(User.email == "claire@example.org")
    ).scalar_one()
    claire_id = claire.id
    keep_hashes()

    own = app.test_client()
    assert login(own, "claire@example.org", passwords[0]).status_code == 302
    response = own.post(
        "/mot-de-passe",
        data={
            "current_password": passwords[0],
            "new_password": passwords[1],
            "confirm": passwords[1],
        },
    )
    assert response.status_code == 302
    keep_hashes()

    response = admin_client.post(
        f"/admin/account/edit/?id={claire_id}",
        data={**form, "active": "y", "new_password": passwords[2]},
    )
    assert response.status_code == 302
    keep_hashes()
    # The reset ended Claire's session: she logs in with the new password.
    again = app.test_client()
    assert login(again, "claire@example.org", passwords[2]).status_code == 302

    secrets.add(create_token(again, "Agenda de Claire"))
    keep_hashes()
    # Three passwords, their three hashes, sessions, a token and its hash.
    assert len(secrets) >= 10

    log = db.session.execute(sa.select(ChangeLog)).scalars().all()
    recorded = {(e.record_type, e.kind) for e in log}
    # The log did record these records (else the check below proves nothing).
    assert ("user_account", ChangeKind.create) in recorded
    assert ("calendar_token", ChangeKind.create) in recorded
    for entry in log:
        text = json.dumps(
            [entry.changes, entry.snapshot, entry.record_label, entry.note],
            ensure_ascii=False,
        )
        for secret in secrets:
            assert secret not in text, (entry.record_type, entry.kind, secret)


def test_minutes_screen_save_records_meeting_decision_and_action(db, admin_client):
    """One save of the minutes: the meeting's update and its new decision and
    action, one transaction, by the account."""
    meeting = Meeting(
        starts_at=datetime(2024, 3, 5, 18, 0, tzinfo=ZoneInfo("Europe/Paris")),
        place="Salle A",
    )
    db.session.add(meeting)
    db.session.commit()
    before = _last_entry_id(db)
    data = base_form(
        meeting,
        **{
            "decisions-0-text": "Décision A",
            "decisions-0-asap": "y",
            "actions-0-title": "Action A",
            "actions-0-owner": "",
            "actions-0-asap": "y",
            "actions-0-status": "todo",
        },
    )
    response = admin_client.post(f"/admin/meeting/minutes/?id={meeting.id}", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 302, html[html.find("is-invalid") - 300 :][:1200]
    decision = db.session.execute(sa.select(Decision)).scalar_one()
    action = db.session.execute(sa.select(Action)).scalar_one()
    new = _entries_after(db, before)
    by_record = {(e.record_type, e.record_id): e for e in new}
    assert len(by_record) == len(new) == 3
    assert by_record[("meeting", meeting.id)].kind == ChangeKind.update
    assert by_record[("meeting", meeting.id)].changes["objective"] == [
        None,
        "Préparer l'avis",
    ]
    assert by_record[("decision", decision.id)].kind == ChangeKind.create
    assert by_record[("decision", decision.id)].changes["text"] == [None, "Décision A"]
    assert by_record[("action", action.id)].kind == ChangeKind.create
    assert {(e.actor_label, e.batch) for e in new} == {
        (admin_client.user.email, new[0].batch)
    }
