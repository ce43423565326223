"""Journeys of the "Réunions" area, checked in the database afterwards."""

from __future__ import annotations

from datetime import UTC, datetime
from zipfile import ZipFile

import sqlalchemy as sa

from tests.e2e.helpers import (
    add_inline,
    assert_accessible,
    expect_saved,
    fill_date,
    inline_id,
    require_route,
    save_form,
    select2_choose,
    url_for_endpoint,
)

OBJECTIVE = (
    "Ajustement de l'avis sur le Schéma Territorial du Numérique (STN) de l'agglo"
)


def _seed_group(e2e_db) -> dict[str, int]:
    """A working group with three members; returns the ids by last name."""
    from app.models import Member, Membership, WorkingGroup

    with e2e_db.session() as session:
        group = WorkingGroup(name="Innovation sociale numérique")
        people = [
            Member(first_name="Eric", last_name="Soudy"),
            Member(first_name="Serge", last_name="Fraillon"),
            Member(first_name="Solenn", last_name="Bréhaut"),
        ]
        session.add(group)
        session.add_all(people)
        session.add_all(Membership(member=m, group=group) for m in people)
        session.commit()
        ids = {m.last_name: m.id for m in people}
        ids["group"] = group.id
        return ids


def _seed_meeting(e2e_db) -> dict[str, int]:
    from app.models import Meeting, MeetingStatus

    ids = _seed_group(e2e_db)
    with e2e_db.session() as session:
        meeting = Meeting(
            group_id=ids["group"],
            starts_at=datetime(2019, 4, 16, 16, 0, tzinfo=UTC),
            place="CDPL, 6 rue Alphonse Rio, Lorient",
            objective=OBJECTIVE,
            status=MeetingStatus.held,
        )
        session.add(meeting)
        session.commit()
        ids["meeting"] = meeting.id
    return ids


def test_create_meeting_with_attendance(page, e2e_db):
    from app.models import AttendanceStatus, Meeting, MeetingKind, MeetingStatus

    ids = _seed_group(e2e_db)
    page.goto("/admin/meeting/new/")
    select2_choose(page, "group", "Innov", "Innovation sociale numérique")
    select2_choose(page, "kind", "Groupe de travail")
    # Typed in Paris time (summer: UTC+2).
    fill_date(page, "starts_at", "2019-04-16 18:00")
    fill_date(page, "ends_at", "2019-04-16 20:00")
    page.locator("#place").fill("CDPL, 6 rue Alphonse Rio, Lorient")
    select2_choose(page, "status", "Tenue")
    page.locator("#objective").fill(OBJECTIVE)
    select2_choose(page, "author", "Soudy", "Eric Soudy")
    attendance = [
        ("Soudy", "Présent·e"),
        ("Fraillon", "Présent·e"),
        ("Bréhaut", "Excusé·e"),
    ]
    for last_name, status in attendance:
        row = add_inline(page, "attendances")
        select2_choose(page, inline_id("attendances", row, "member"), last_name)
        select2_choose(page, inline_id("attendances", row, "status"), status)
    assert_accessible(page, "réunion avec présences")
    save_form(page)
    expect_saved(page)

    with e2e_db.session() as session:
        meeting = session.execute(sa.select(Meeting)).scalar_one()
        assert meeting.group_id == ids["group"]
        assert meeting.kind is MeetingKind.working_group
        assert meeting.status is MeetingStatus.held
        assert meeting.starts_at == datetime(2019, 4, 16, 16, 0, tzinfo=UTC)
        assert meeting.ends_at == datetime(2019, 4, 16, 18, 0, tzinfo=UTC)
        assert meeting.author_id == ids["Soudy"]
        assert meeting.objective == OBJECTIVE
        got = {(a.member_id, a.status) for a in meeting.attendances}
        assert got == {
            (ids["Soudy"], AttendanceStatus.present),
            (ids["Fraillon"], AttendanceStatus.present),
            (ids["Bréhaut"], AttendanceStatus.excused),
        }


def test_duplicate_attendance_is_refused_and_input_kept(page, e2e_db):
    from app.models import Attendance, Meeting

    ids = _seed_meeting(e2e_db)
    page.goto(f"/admin/meeting/edit/?id={ids['meeting']}")
    for _ in range(2):
        row = add_inline(page, "attendances")
        select2_choose(page, inline_id("attendances", row, "member"), "Soudy")
    save_form(page)
    errors = page.locator("#attendances .invalid-feedback").all_inner_texts()
    assert any("figure déjà dans la liste de présence" in e for e in errors), errors
    # The rows typed are still on the page; nothing was stored.
    assert page.locator("#attendances .inline-field-list > .inline-field").count() == 2
    assert_accessible(page, "réunion, présence en double")
    with e2e_db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
        assert session.get(Meeting, ids["meeting"]).objective == OBJECTIVE


def test_write_minutes_with_a_decision_and_an_action(page, e2e_db):
    from app.models import Action, ActionStatus, Decision, Meeting

    ids = _seed_meeting(e2e_db)
    page.goto(f"/admin/meeting/edit/?id={ids['meeting']}")
    page.locator("#context").fill("Réaction de l'agglomération à l'avis du CDPL.")
    page.locator("#exchanges").fill(
        "Philippe Ladame propose trois amendements aux actions 7, 12 et 13."
    )
    row = add_inline(page, "decisions")
    page.locator("#" + inline_id("decisions", row, "text")).fill(
        "Mise à jour du document de réaction au STN"
    )
    page.locator("#" + inline_id("decisions", row, "asap")).check()
    save_form(page)
    expect_saved(page)

    page.goto("/admin/action/new/")
    page.locator("#title").fill("Transmettre l'avis amendé à Solenn")
    select2_choose(page, "owner", "Soudy", "Eric Soudy")
    select2_choose(page, "group", "Innov", "Innovation sociale numérique")
    select2_choose(page, "meeting", "Ajustement", "Innovation sociale numérique")
    page.locator("#asap").check()
    select2_choose(page, "status", "À faire")
    save_form(page)
    expect_saved(page)

    with e2e_db.session() as session:
        meeting = session.get(Meeting, ids["meeting"])
        assert meeting.has_minutes
        assert "trois amendements" in meeting.exchanges
        decision = session.execute(sa.select(Decision)).scalar_one()
        assert decision.meeting_id == ids["meeting"]
        assert decision.text == "Mise à jour du document de réaction au STN"
        assert (decision.asap, decision.due_on) == (True, None)
        action = session.execute(sa.select(Action)).scalar_one()
        assert action.title == "Transmettre l'avis amendé à Solenn"
        assert (action.owner_id, action.group_id, action.meeting_id) == (
            ids["Soudy"],
            ids["group"],
            ids["meeting"],
        )
        assert action.asap and action.status is ActionStatus.todo


def test_record_attendance_on_the_attendance_screen(page, e2e_db):
    endpoint = require_route(
        e2e_db, r"/meeting/attendance/$", "the attendance screen (issue 5)"
    )
    from app.models import Attendance, AttendanceStatus

    ids = _seed_meeting(e2e_db)
    page.goto(url_for_endpoint(e2e_db, endpoint, id=ids["meeting"]))
    page.get_by_label("Eric Soudy : Présent·e").check()
    page.get_by_label("Serge Fraillon : Présent·e").check()
    page.get_by_label("Solenn Bréhaut : Excusé·e").check()
    assert_accessible(page, "feuille de présence remplie")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les présences").click()
    assert page.locator(".alert-success").count() == 1

    with e2e_db.session() as session:
        got = {
            (a.member_id, a.status)
            for a in session.execute(
                sa.select(Attendance).filter_by(meeting_id=ids["meeting"])
            ).scalars()
        }
    assert got == {
        (ids["Soudy"], AttendanceStatus.present),
        (ids["Fraillon"], AttendanceStatus.present),
        (ids["Bréhaut"], AttendanceStatus.excused),
    }


def test_minutes_screen_then_compte_rendu_and_its_odt(page, e2e_db):
    minutes = require_route(
        e2e_db, r"/meeting/minutes/$", "the minutes screen (issue 5)"
    )
    require_route(e2e_db, r"/meeting/report/$", "the compte rendu page (issue 5)")
    require_route(e2e_db, r"/meeting/report/odt/$", "the ODT compte rendu (issue 5)")
    from app.models import Action, Decision

    ids = _seed_meeting(e2e_db)
    page.goto(url_for_endpoint(e2e_db, minutes, id=ids["meeting"]))
    page.locator("#exchanges").fill(
        "Philippe Ladame propose trois amendements aux actions 7, 12 et 13."
    )
    page.locator("#decisions-0-text").fill("Mise à jour du document de réaction au STN")
    page.locator("#decisions-0-asap").check()
    page.locator("#actions-0-title").fill("Transmettre l'avis amendé à Solenn")
    page.locator("#actions-0-owner").select_option(str(ids["Soudy"]))
    page.locator("#actions-0-asap").check()
    assert_accessible(page, "saisie du compte rendu")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et voir le compte rendu").click()

    # The compte rendu shows what was typed, and downloads as ODT.
    content = page.locator("main").inner_text()
    assert "Mise à jour du document de réaction au STN" in content
    assert "Transmettre l'avis amendé à Solenn" in content
    assert_accessible(page, "compte rendu")
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger (ODT)").click()
    download = info.value
    assert download.suggested_filename.endswith(".odt")
    with ZipFile(download.path()) as odt:
        assert odt.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        text = odt.read("content.xml").decode("utf-8")
    assert "Mise à jour du document de réaction au STN" in text

    with e2e_db.session() as session:
        decision = session.execute(sa.select(Decision)).scalar_one()
        assert (decision.meeting_id, decision.asap) == (ids["meeting"], True)
        action = session.execute(sa.select(Action)).scalar_one()
        assert (action.meeting_id, action.owner_id, action.asap) == (
            ids["meeting"],
            ids["Soudy"],
            True,
        )
