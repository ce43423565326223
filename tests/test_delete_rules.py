"""Deletion loses nothing by surprise; archiving instead; integrity errors in French."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.models import (
    Attendance,
    AttendanceStatus,
    ChangeKind,
    ChangeLog,
    College,
    Decision,
    Indicator,
    Meeting,
    Member,
    Plan,
    WorkingGroup,
)
from app.models.base import utcnow


def eric(db) -> Member:
    return db.session.execute(
        sa.select(Member).filter_by(first_name="Eric", last_name="Soudy")
    ).scalar_one()


def confirm_delete(client, endpoint, record):
    url = f"/admin/{endpoint}/delete/confirm/?id={record.id}"
    page = client.get(url)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def post_delete(client, endpoint, record):
    return client.post(
        f"/admin/{endpoint}/delete/",
        data={
            "id": record.id,
            "seen_version": record.version,
            "url": f"/admin/{endpoint}/",
        },
        follow_redirects=True,
    ).get_data(as_text=True)


def test_member_with_attendance_cannot_be_deleted(demo, admin_client):
    member = eric(demo)
    page = confirm_delete(admin_client, "member", member)
    assert "Suppression refusée" in page
    assert "1 présence" in page and "1 réunion" in page  # he wrote its minutes
    assert "Archivez" in page
    assert "Confirmer la suppression" not in page

    html = post_delete(admin_client, "member", member)
    assert "Suppression refusée" in html
    demo.session.expire_all()
    assert demo.session.get(Member, member.id) is not None


def test_archiving_hides_member_from_list_and_pickers(demo, admin_client):
    member = eric(demo)
    response = admin_client.post(
        "/admin/member/action/", data={"action": "archive", "rowid": [str(member.id)]}
    )
    assert response.status_code == 302
    demo.session.expire_all()
    assert demo.session.get(Member, member.id).left_on == date.today()

    default = admin_client.get("/admin/member/").get_data(as_text=True)
    assert "Soudy" not in default
    assert "Afficher aussi les fiches archivées" in default
    shown = admin_client.get("/admin/member/?archives=1").get_data(as_text=True)
    assert "Soudy" in shown

    lookup = admin_client.get(
        "/admin/attendance/ajax/lookup/?name=member&query=Soudy"
    ).get_json()
    assert lookup == []
    other = admin_client.get(
        "/admin/attendance/ajax/lookup/?name=member&query=Verger"
    ).get_json()
    assert len(other) == 1
    # Attendance and history are untouched.
    assert demo.session.execute(
        sa.select(sa.func.count()).where(Attendance.member_id == member.id)
    ).scalar_one()


@pytest.mark.parametrize(
    ("endpoint", "model", "expected"),
    [
        ("working_group", WorkingGroup, "participations"),
        ("plan", Plan, "actions des plans"),
        ("indicator", Indicator, "mesure"),
        ("meeting", Meeting, "compte rendu"),
    ],
)
def test_records_with_dependents_are_refused(
    full_data, admin_client, endpoint, model, expected
):
    record = full_data.session.execute(sa.select(model)).scalars().first()
    if model is Meeting:
        record = (
            full_data.session.execute(
                sa.select(Meeting).where(Meeting.exchanges.is_not(None))
            )
            .scalars()
            .first()
        )
    page = confirm_delete(admin_client, endpoint, record)
    assert "Suppression refusée" in page
    assert expected in page.lower()
    post_delete(admin_client, endpoint, record)
    full_data.session.expire_all()
    assert full_data.session.get(model, record.id) is not None


def _meeting_without_minutes(db) -> Meeting:
    members = db.session.execute(sa.select(Member).limit(2)).scalars().all()
    meeting = Meeting(starts_at=utcnow(), place="Salle du conseil")
    meeting.attendances = [
        Attendance(member=members[0], status=AttendanceStatus.present),
        Attendance(member=members[1], status=AttendanceStatus.excused),
    ]
    meeting.decisions = [Decision(text="Relancer les élus", position=1)]
    db.session.add(meeting)
    db.session.commit()
    return meeting


def test_delete_confirmation_lists_what_goes_then_restore(demo, admin_client):
    meeting = _meeting_without_minutes(demo)
    meeting_id = meeting.id
    page = confirm_delete(admin_client, "meeting", meeting)
    assert "Suppression refusée" not in page
    assert "2 présences" in page and "1 décision" in page
    assert "Confirmer la suppression" in page

    post_delete(admin_client, "meeting", meeting)
    demo.session.expire_all()
    assert demo.session.get(Meeting, meeting_id) is None
    assert not demo.session.execute(
        sa.select(Attendance).where(Attendance.meeting_id == meeting_id)
    ).all()

    journal = admin_client.get("/admin/change_log/").get_data(as_text=True)
    assert "Suppression" in journal
    assert f"/admin/meeting/history/?id={meeting_id}" in journal
    deleted = demo.session.execute(
        sa.select(ChangeLog).where(
            ChangeLog.record_type == "meeting",
            ChangeLog.record_id == meeting_id,
            ChangeLog.kind == ChangeKind.delete,
        )
    ).scalar_one()
    history = admin_client.get(f"/admin/meeting/history/?id={meeting_id}")
    assert "Restaurer cette fiche" in history.get_data(as_text=True)

    response = admin_client.post(
        "/admin/meeting/history/restore/",
        data={"entry": deleted.id},
        follow_redirects=True,
    )
    assert "Fiche restaurée" in response.get_data(as_text=True)
    demo.session.expire_all()
    restored = demo.session.get(Meeting, meeting_id)
    assert restored.place == "Salle du conseil"
    assert {a.status for a in restored.attendances} == {
        AttendanceStatus.present,
        AttendanceStatus.excused,
    }
    assert [d.text for d in restored.decisions] == ["Relancer les élus"]


def test_integrity_error_becomes_french_field_message(app, db, admin_client):
    db.session.add(College(name="Citoyens", position=1))
    db.session.commit()
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "college")
    # Simulate the race the form check cannot see: the database refuses.
    view._check_uniques = lambda form: True
    try:
        response = admin_client.post(
            "/admin/college/new/", data={"name": "Citoyens", "position": "2"}
        )
    finally:
        del view._check_uniques
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Cette valeur de « Nom » est déjà utilisée." in html
    assert "UNIQUE" not in html and "duplicate key" not in html
    assert 'value="Citoyens"' in html


def test_bulk_delete_applies_the_same_rules(demo, admin_client):
    member = eric(demo)
    college = College(name="Collège à supprimer", position=9)
    demo.session.add(college)
    demo.session.commit()
    html = admin_client.post(
        "/admin/member/action/",
        data={"action": "delete", "rowid": [str(member.id)], "confirmed": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Suppression refusée" in html
    admin_client.post(
        "/admin/college/action/",
        data={"action": "delete", "rowid": [str(college.id)], "confirmed": "1"},
    )
    demo.session.expire_all()
    assert demo.session.get(Member, member.id) is not None
    assert demo.session.get(College, college.id) is None
    assert (
        demo.session.execute(
            sa.select(ChangeLog).where(
                ChangeLog.record_type == "college", ChangeLog.kind == ChangeKind.delete
            )
        )
        .scalar_one()
        .snapshot["name"]
        == "Collège à supprimer"
    )


@pytest.mark.parametrize("bad", ["", "abc", "999999"])
def test_confirmation_and_history_of_unknown_ids(db, admin_client, bad):
    response = admin_client.get(f"/admin/member/delete/confirm/?id={bad}")
    assert response.status_code == 302
    assert admin_client.get(f"/admin/member/history/?id={bad}").status_code == 404


def test_deleting_next_meeting_unlinks_with_history_and_restore_relinks(
    demo, admin_client
):
    first = demo.session.execute(
        sa.select(Meeting).where(Meeting.next_meeting_id.is_not(None))
    ).scalar_one()
    following = first.next_meeting
    following_id = following.id
    page = confirm_delete(admin_client, "meeting", following)
    assert "le lien depuis 1 réunion (Prochaine réunion)" in page
    # A planned meeting with no minutes may go: a refusal here is a regression.
    assert "Suppression refusée" not in page
    assert "Confirmer la suppression" in page
    post_delete(admin_client, "meeting", following)
    demo.session.expire_all()
    assert demo.session.get(Meeting, first.id).next_meeting_id is None
    unlink = (
        demo.session.execute(
            sa.select(ChangeLog)
            .where(
                ChangeLog.record_type == "meeting",
                ChangeLog.record_id == first.id,
                ChangeLog.kind == ChangeKind.update,
            )
            .order_by(ChangeLog.id)  # the latest; PostgreSQL keeps no row order
        )
        .scalars()
        .all()[-1]
    )
    assert unlink.changes == {"next_meeting_id": [following_id, None]}

    deleted = demo.session.execute(
        sa.select(ChangeLog).where(
            ChangeLog.record_id == following_id,
            ChangeLog.record_type == "meeting",
            ChangeLog.kind == ChangeKind.delete,
        )
    ).scalar_one()
    admin_client.post("/admin/meeting/history/restore/", data={"entry": deleted.id})
    demo.session.expire_all()
    assert demo.session.get(Meeting, first.id).next_meeting_id == following_id


def test_deleted_document_keeps_its_plan_action_links_for_restore(demo, admin_client):
    from app.models import Document, PlanAction

    actions = demo.session.execute(sa.select(PlanAction).limit(2)).scalars().all()
    document = Document(title="Note de synthèse", plan_actions=list(actions))
    demo.session.add(document)
    demo.session.commit()
    document_id, action_ids = document.id, sorted(a.id for a in actions)
    demo.session.expire_all()
    post_delete(admin_client, "document", demo.session.get(Document, document_id))
    demo.session.expire_all()
    assert demo.session.get(Document, document_id) is None
    deleted = demo.session.execute(
        sa.select(ChangeLog).where(
            ChangeLog.record_type == "document", ChangeLog.kind == ChangeKind.delete
        )
    ).scalar_one()
    assert deleted.snapshot["plan_actions"] == action_ids
    admin_client.post("/admin/document/history/restore/", data={"entry": deleted.id})
    demo.session.expire_all()
    restored = demo.session.get(Document, document_id)
    assert sorted(a.id for a in restored.plan_actions) == action_ids


def test_foreign_key_error_points_at_the_vanished_link(app, db, make_member):
    from types import SimpleNamespace

    from sqlalchemy.exc import IntegrityError

    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "action")
    owner = make_member()
    form = SimpleNamespace(
        owner=SimpleNamespace(data=SimpleNamespace(id=owner.id + 1000), errors=[]),
        group=SimpleNamespace(data=None, errors=[]),
    )
    error = IntegrityError("INSERT", {}, Exception("FOREIGN KEY constraint failed"))
    view.integrity_to_fields(form, error)
    assert form.owner.errors == [
        "Cette fiche liée n'existe plus (supprimée entre-temps) : "
        "choisissez-en une autre."
    ]
    assert form.group.errors == []
