"""Journey of issue 20: an administrator ticks « Public » on the demo's plan,
STN actions 7/12/13/14, the three amendments, the avis and the meeting; a
visitor without an account then reads them on the public pages (axe-core on
each) and finds them in the open-data package."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.e2e.helpers import assert_accessible, expect_saved, save_form, text_of


def _publish(page, endpoint: str, record_id: int) -> None:
    page.goto(f"/admin/{endpoint}/edit/?id={record_id}")
    page.locator("#public").check()
    save_form(page)
    expect_saved(page)


def test_published_through_the_screens_seen_by_a_visitor(page, visitor_page, demo_db):
    from app.models import Document, DocumentKind, Meeting
    from app.models.plans import Amendment, Plan, PlanAction

    with demo_db.session() as session:
        plan_id = session.execute(
            sa.select(Plan.id).where(Plan.short_name == "STN")
        ).scalar_one()
        action_ids = list(
            session.execute(
                sa.select(PlanAction.id).where(
                    PlanAction.plan_id == plan_id,
                    PlanAction.number.in_([7, 12, 13, 14]),
                )
            ).scalars()
        )
        amendment_ids = list(session.execute(sa.select(Amendment.id)).scalars())
        avis_id = session.execute(
            sa.select(Document.id).where(Document.kind == DocumentKind.opinion)
        ).scalar_one()
        meeting_id = session.execute(
            sa.select(Meeting.id).order_by(Meeting.starts_at)
        ).scalar()

    visitor_page.goto("/public/")
    assert_accessible(visitor_page, "accueil public vide")
    assert "Aucun plan publié" in text_of(visitor_page, "main")

    _publish(page, "plan", plan_id)
    for action_id in action_ids:
        _publish(page, "plan_action", action_id)
    for amendment_id in amendment_ids:
        _publish(page, "amendment", amendment_id)
    _publish(page, "document", avis_id)
    _publish(page, "meeting", meeting_id)

    with demo_db.session() as session:
        assert session.get(Plan, plan_id).public
        assert all(session.get(PlanAction, i).public for i in action_ids)
        assert all(session.get(Amendment, i).public for i in amendment_ids)

    visitor_page.goto("/public/")
    assert_accessible(visitor_page, "accueil public")
    visitor_page.get_by_role("link", name="STN", exact=False).first.click()
    visitor_page.wait_for_url(f"**/public/plans/{plan_id}")
    assert_accessible(visitor_page, "page publique du plan")
    for number in (7, 12, 13, 14):
        assert visitor_page.locator(f"#action-{number}").count() == 1
    assert visitor_page.locator(".public-amendment").count() == 3
    assert "150 000" in text_of(visitor_page, "#action-12")

    visitor_page.goto("/public/reunions/")
    assert_accessible(visitor_page, "réunions publiques")
    assert "Présents" in text_of(visitor_page, "main")

    visitor_page.goto(f"/public/documents/{avis_id}")
    assert_accessible(visitor_page, "avis publié")

    visitor_page.goto("/public/donnees/")
    assert_accessible(visitor_page, "données ouvertes")
    response = visitor_page.request.get("/public/donnees/datapackage.json")
    assert response.ok
    counts = {r["name"]: r["count"] for r in json.loads(response.body())["resources"]}
    assert counts["actions"] == 4 and counts["amendements"] == 3
    assert counts["documents"] == 1 and counts["reunions"] == 1
    archive = visitor_page.request.get("/public/donnees/donnees-publiques.zip")
    assert archive.ok and archive.body()[:2] == b"PK"


def test_a_consenting_member_is_named_on_the_public_meeting_page(visitor_page, demo_db):
    """Who consents to « nom dans les comptes rendus publiés » is named on the
    public meeting page (axe-core on it), the others only counted; withdrawn,
    the name is gone at the next view."""
    from datetime import date, timedelta

    from app.models import Attendance, AttendanceStatus, Meeting
    from app.models.rgpd import Consent, ConsentPurpose

    with demo_db.session() as session:
        meeting = session.execute(
            sa.select(Meeting).order_by(Meeting.starts_at)
        ).scalar()
        meeting.public = True
        present = (
            session.execute(
                sa.select(Attendance)
                .where(
                    Attendance.meeting_id == meeting.id,
                    Attendance.status == AttendanceStatus.present,
                )
                .order_by(Attendance.id)
            )
            .scalars()
            .all()
        )
        named, unnamed = present[0].member, present[1].member
        name, other = named.full_name, unnamed.full_name
        session.add(
            Consent(
                member=named,
                purpose=ConsentPurpose.named_in_minutes,
                given_on=date.today() - timedelta(days=7),
            )
        )
        session.commit()

    visitor_page.goto("/public/reunions/")
    assert_accessible(visitor_page, "réunion publique avec noms consentis")
    text = text_of(visitor_page, "main")
    assert name in text and other not in text

    with demo_db.session() as session:
        consent = session.execute(
            sa.select(Consent).where(Consent.purpose == ConsentPurpose.named_in_minutes)
        ).scalar_one()
        consent.withdrawn_on = date.today()
        session.commit()
    visitor_page.reload()
    assert name not in text_of(visitor_page, "main")
