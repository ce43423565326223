"""Issue 14: Flask-Admin's screens in the staff's French; messages name the record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa

from app.admin import model_views
from app.admin.fields import parse_french_decimal
from app.admin.messages import deleted_many_message, done_message
from app.models import (
    College,
    Indicator,
    Measurement,
    Meeting,
    MeetingStatus,
    Member,
    Organisation,
    WorkingGroup,
)


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_created_saved_and_deleted_messages_name_the_record(admin_client, db):
    html = _text(
        admin_client.post(
            "/admin/member/new/",
            data={"first_name": "Solenn", "last_name": "Bréhaut"},
            follow_redirects=True,
        )
    )
    assert "Le membre « Solenn Bréhaut » a été créé." in html
    assert "L'objet a bien été créé." not in html
    member = db.session.execute(sa.select(Member)).scalar_one()
    html = _text(
        admin_client.post(
            f"/admin/member/edit/?id={member.id}",
            data={
                "first_name": "Solenn",
                "last_name": "Bréhaut-Le Goff",
                "version": member.version,
            },
            follow_redirects=True,
        )
    )
    assert "Le membre « Solenn Bréhaut-Le Goff » a été modifié." in html
    assert "A été enregistrée avec succès." not in html
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    html = _text(
        admin_client.post(
            "/admin/member/delete/",
            data={"id": member.id, "seen_version": member.version},
            follow_redirects=True,
        )
    )
    assert "Le membre « Solenn Bréhaut-Le Goff » a été supprimé." in html
    assert "L'objet a bien été détruit." not in html


def test_feminine_and_elided_records():
    org = Organisation(name="Lorient Agglomération")
    assert done_message(org, "créé") == (
        "La structure « Lorient Agglomération » a été créée."
    )
    group = WorkingGroup(name="Numérique")
    assert done_message(group, "modifié") == (
        "Le groupe de travail « Numérique » a été modifié."
    )
    assert deleted_many_message(Organisation, ["A", "B"]) == (
        "2 structures supprimées : « A », « B »."
    )
    assert deleted_many_message(College, ["C"]) == "Le collège « C » a été supprimé."


def test_bulk_delete_goes_through_the_confirmation_page(admin_client, db):
    first = College(name="Collège un", position=8)
    second = College(name="Collège deux", position=9)
    db.session.add_all([first, second])
    db.session.commit()
    ids = [str(first.id), str(second.id)]
    response = admin_client.post(
        "/admin/college/action/", data={"action": "delete", "rowid": ids}
    )
    # Nothing deleted yet: the same confirmation page as a single delete.
    assert response.status_code == 302
    assert "/delete/confirm/" in response.headers["Location"]
    assert db.session.execute(sa.select(sa.func.count(College.id))).scalar() == 2
    html = _text(admin_client.get(response.headers["Location"]))
    assert "Supprimer ces 2 fiches ?" in html
    assert "la fiche « Collège un »" in html and "la fiche « Collège deux »" in html
    assert 'name="confirmed" value="1"' in html
    # The list's bulk action asks no browser dialog (the page above confirms).
    listing = _text(admin_client.get("/admin/college/"))
    assert "Are you sure" not in listing and "Êtes-vous sûr" not in listing
    html = _text(
        admin_client.post(
            "/admin/college/action/",
            data={
                "action": "delete",
                "rowid": ids,
                "confirmed": "1",
                f"seen_version_{first.id}": first.version,
                f"seen_version_{second.id}": second.version,
            },
            follow_redirects=True,
        )
    )
    assert "2 collèges supprimés : « Collège un », « Collège deux »." in html
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count(College.id))).scalar() == 0


def test_interface_words_are_french(app, admin_client, demo):
    member = demo.session.execute(sa.select(Member).limit(1)).scalar_one()
    view = next(
        v for v in model_views(app.extensions["admin"][0]) if v.endpoint == "member"
    )
    index, flt = next(
        (i, f)
        for i, f in enumerate(view._filters)
        if getattr(f.column, "key", "") == "town"
    )
    arg = f"flt0_{view.get_filter_arg(index, flt)}"
    listing = _text(admin_client.get(f"/admin/member/?{arg}=Lorient"))
    for english_or_odd in ("Filtres réinitialisés", "articles", "Editer", " items"):
        assert english_or_odd not in listing, english_or_odd
    assert "Effacer les filtres" in listing
    assert ">Exporter<" in listing and ">Export<" not in listing
    assert "50 lignes par page" in listing and "20 lignes par page" in listing
    # Row actions: a tooltip and an accessible name, the icon hidden from readers.
    listing = _text(admin_client.get("/admin/member/"))
    for name in ("Voir la fiche", "Modifier", "Supprimer…", "Historique"):
        assert f'title="{name}" aria-label="{name}"' in listing, name
    assert 'aria-hidden="true"></span></a>' in listing
    details = _text(admin_client.get(f"/admin/member/details/?id={member.id}"))
    assert ">Modifier<" in details and "Editer" not in details
    # No "Filtre" box above a record's fields.
    assert 'id="fa_filter"' not in details
    group = demo.session.execute(sa.select(WorkingGroup).limit(1)).scalar_one()
    form = _text(admin_client.get(f"/admin/working_group/edit/?id={group.id}"))
    assert "Nouveau " not in form and "Ajouter Participants" not in form
    assert "Ajouter une ligne" in form and "— nouvelle ligne" in form


def test_duplicate_member_of_a_group_is_named_next_to_its_row(admin_client, db):
    member = Member(first_name="Solenn", last_name="Bréhaut")
    db.session.add(member)
    db.session.commit()
    response = admin_client.post(
        "/admin/working_group/new/",
        data={
            "name": "Numérique",
            "active": "y",
            "memberships-0-member": str(member.id),
            "memberships-0-role": "member",
            "memberships-1-member": str(member.id),
            "memberships-1-role": "member",
        },
    )
    html = _text(response)
    assert response.status_code == 200
    # Next to the second row, naming the member: not only the page banner.
    row = html[html.index('id="memberships-1"') :]
    row = row[: row.index("— ligne 3") if "— ligne 3" in row else len(row)]
    assert "« Solenn Bréhaut » figure déjà à la ligne 1 avec la même date" in row
    assert db.session.execute(sa.select(sa.func.count(WorkingGroup.id))).scalar() == 0


def test_new_meeting_opens_on_its_page_with_next_steps(admin_client, db):
    response = admin_client.post(
        "/admin/meeting/new/",
        data={
            "kind": "working_group",
            "status": "planned",
            "starts_at": "2019-04-16 12:30",
            "place": "CDPL",
            "context": "Un **contexte** en Markdown.",
        },
    )
    meeting = db.session.execute(sa.select(Meeting)).scalar_one()
    assert response.status_code == 302
    assert f"/admin/meeting/details/?id={meeting.id}" in response.headers["Location"]
    html = _text(admin_client.get(response.headers["Location"]))
    assert "La réunion « " in html and "» a été créée." in html
    assert "Étapes suivantes" in html
    for step in ("/attendance/", "/minutes/", "/report/"):
        assert f"/admin/meeting{step}?id={meeting.id}" in html
    # The details render the Markdown typed on the minutes screen.
    assert "<strong>contexte</strong>" in html and "**contexte**" not in html


def test_dashboard_says_where_to_start_on_an_empty_database(admin_client, db):
    html = _text(admin_client.get("/admin/"))
    assert "Par où commencer ?" in html
    for step in ("/admin/working_group/new/", "/admin/member/new/", "/admin/meeting/"):
        assert step in html
    db.session.add(WorkingGroup(name="Numérique"))
    db.session.commit()
    assert "Par où commencer ?" not in _text(admin_client.get("/admin/"))


def test_a_planned_meeting_is_never_listed_as_held_without_minutes(admin_client, db):
    past = datetime.now(UTC) - timedelta(days=30)
    group = WorkingGroup(name="Numérique")
    planned = Meeting(group=group, starts_at=past)
    held = Meeting(group=group, starts_at=past, status=MeetingStatus.held)
    db.session.add_all([planned, held])
    db.session.commit()
    html = admin_client.get("/admin/").get_data(as_text=True)
    section = html[html.index('id="dash-without-minutes"') :]
    section = section[: section.index("</section>")]
    assert "sans compte rendu (1)" in section
    assert f"/admin/meeting/minutes/?id={held.id}" in section
    assert f"/admin/meeting/minutes/?id={planned.id}" not in section


def test_decimal_accepts_the_french_comma_whatever_the_browser(admin_client, db):
    indicator = Indicator(name="Logements rénovés")
    db.session.add(indicator)
    db.session.commit()
    form = _text(admin_client.get("/admin/measurement/new/"))
    # A text input: an English browser's number input turned "4,5" into 45.
    assert 'inputmode="decimal"' in form and 'type="number"' not in form
    response = admin_client.post(
        "/admin/measurement/new/",
        data={
            "indicator": str(indicator.id),
            "measured_on": "2019-04-16",
            "value": "4,5",
        },
    )
    assert response.status_code == 302
    measurement = db.session.execute(sa.select(Measurement)).scalar_one()
    assert measurement.value == Decimal("4.5")
    edit = _text(admin_client.get(f"/admin/measurement/edit/?id={measurement.id}"))
    assert 'value="4,5"' in edit
    html = _text(
        admin_client.post(
            "/admin/measurement/new/",
            data={
                "indicator": str(indicator.id),
                "measured_on": "2019-04-17",
                "value": "1,250.5",
            },
        )
    )
    assert "Nombre invalide : écrivez par exemple 4,5 ou 1250." in html
    assert 'value="1,250.5"' in html
    assert db.session.execute(sa.select(sa.func.count(Measurement.id))).scalar() == 1


def test_parse_french_decimal():
    assert parse_french_decimal("1 250,75") == Decimal("1250.75")
    assert parse_french_decimal("\u202f12.5 ") == Decimal("12.5")
    for bad in ("4,5,6", "abc", "NaN", "1,2.3", "Infinity"):
        with pytest.raises(ValueError):
            parse_french_decimal(bad)


def test_favicon_is_served_by_the_app(admin_client, db):
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in html
    response = admin_client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/static/favicon.svg")
    icon = admin_client.get("/static/favicon.svg")
    assert icon.status_code == 200 and b"<svg" in icon.get_data()
    icon.close()


def test_meeting_with_a_day_and_no_time(admin_client, db):
    response = admin_client.post(
        "/admin/meeting/new/",
        data={
            "kind": "working_group",
            "status": "planned",
            "starts_at": "16/04/2019",
            "documents_label": "Google Drive partagé",
            "documents_url": "https://drive.example.org/cdpl",
        },
    )
    assert response.status_code == 302
    meeting = db.session.execute(sa.select(Meeting)).scalar_one()
    assert meeting.time_unknown is True
    assert meeting.local_start.strftime("%Y-%m-%d %H:%M") == "2019-04-16 00:00"
    assert meeting.documents_label == "Google Drive partagé"
    listing = _text(admin_client.get("/admin/meeting/"))
    assert "16/04/2019, heure non précisée" in listing
    details = _text(admin_client.get(f"/admin/meeting/details/?id={meeting.id}"))
    assert (
        '<a href="https://drive.example.org/cdpl" rel="noopener noreferrer">'
        "Google Drive partagé</a> (https://drive.example.org/cdpl)"
    ) in details
    edit = _text(admin_client.get(f"/admin/meeting/edit/?id={meeting.id}"))
    assert 'value="2019-04-16"' in edit
    ics = admin_client.get(f"/admin/meeting/ics/?id={meeting.id}").get_data(
        as_text=True
    )
    assert "DTSTART;VALUE=DATE:20190416" in ics
    assert "DTEND;VALUE=DATE:20190417" in ics


def test_the_time_unknown_box_keeps_the_day_only(admin_client, db):
    admin_client.post(
        "/admin/meeting/new/",
        data={
            "kind": "working_group",
            "status": "planned",
            "starts_at": "2019-04-16 12:30",
            "time_unknown": "y",
        },
    )
    meeting = db.session.execute(sa.select(Meeting)).scalar_one()
    assert meeting.time_unknown is True
    assert meeting.local_start.strftime("%H:%M") == "00:00"


def test_details_pages_show_related_records_with_add_shortcuts(admin_client, demo):
    group = demo.session.execute(
        sa.select(WorkingGroup).where(WorkingGroup.memberships.any())
    ).scalar()
    membership = group.memberships[0]
    html = _text(admin_client.get(f"/admin/working_group/details/?id={group.id}"))
    members = html[html.index('id="group-members"') :]
    assert f"/admin/member/details/?id={membership.member_id}" in members
    add = f"/admin/membership/new/?group={group.id}"
    assert add in members
    meeting = demo.session.execute(
        sa.select(Meeting).where(Meeting.group_id == group.id)
    ).scalar()
    meetings = html[html.index('id="group-meetings"') :]
    assert f"/admin/meeting/details/?id={meeting.id}" in meetings
    assert f"/admin/meeting/new/?group={group.id}" in meetings
    # The shortcut opens the form with the group already chosen.
    form = _text(admin_client.get(add))
    assert f'value="{group.id}"' in form[form.index('id="group"') - 200 :][:600]
    member_html = _text(
        admin_client.get(f"/admin/member/details/?id={membership.member_id}")
    )
    groups = member_html[member_html.index('id="member-groups"') :]
    assert f"/admin/working_group/details/?id={group.id}" in groups
    assert f"/admin/action/new/?owner={membership.member_id}" in member_html
    assert 'id="member-attendance"' in member_html
