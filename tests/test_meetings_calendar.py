"""iCalendar feeds: per-account secret token, revocable, valid RFC 5545 content."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from app.models import (
    Attendance,
    AttendanceStatus,
    CalendarToken,
    Meeting,
    MeetingStatus,
    Member,
    WorkingGroup,
)

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def meetings(db):
    mobility = WorkingGroup(name="Mobilités")
    digital = WorkingGroup(name="Numérique")
    author = Member(first_name="Anne", last_name="Secrète", email="anne@example.org")
    a = Meeting(
        group=mobility,
        starts_at=datetime(2024, 1, 16, 18, 0, tzinfo=PARIS),  # winter time
        ends_at=datetime(2024, 1, 16, 20, 0, tzinfo=PARIS),
        place="Maison des associations, Lanester",
        objective="Préparer la contribution sur le plan de mobilité",
        author=author,
    )
    b = Meeting(
        group=digital,
        starts_at=datetime(2024, 7, 2, 12, 30, tzinfo=PARIS),  # summer time
        place="CDPL",
        status=MeetingStatus.cancelled,
    )
    db.session.add_all([a, b])
    db.session.flush()
    db.session.add(
        Attendance(meeting=a, member=author, status=AttendanceStatus.present)
    )
    db.session.commit()
    return a, b


def create_token(client, label="Agenda d'Anne") -> str:
    response = client.post(
        "/admin/calendar_token/new/", data={"label": label}, follow_redirects=True
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "elle ne sera plus affichée" in html
    match = re.search(r"http://localhost/agenda/([A-Za-z0-9_-]+)/reunions\.ics", html)
    assert match, html
    return match.group(1)


def events(data: bytes):
    cal = Calendar.from_ical(data)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}, cal


def test_feed_with_token_lists_meetings_without_personal_data(
    admin_client, db, meetings
):
    a, b = meetings
    token = create_token(admin_client)
    stored = db.session.execute(sa.select(CalendarToken)).scalar_one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    response = admin_client.get(f"/agenda/{token}/reunions.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    found, cal = events(response.data)
    assert str(cal["VERSION"]) == "2.0" and "PRODID" in cal
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    ev_a = found[f"meeting-{a.id}@cdpl-gestion.invalid"]
    ev_b = found[f"meeting-{b.id}@cdpl-gestion.invalid"]
    assert ev_a.decoded("DTSTART") == datetime(2024, 1, 16, 18, 0, tzinfo=PARIS)
    assert ev_a.decoded("DTSTART").utcoffset().total_seconds() == 3600
    assert ev_b.decoded("DTSTART").utcoffset().total_seconds() == 7200
    assert str(ev_a["LOCATION"]) == "Maison des associations, Lanester"
    assert "plan de mobilité" in str(ev_a["DESCRIPTION"])
    assert str(ev_a["STATUS"]) == "CONFIRMED"
    assert str(ev_b["STATUS"]) == "CANCELLED"
    for required in ("DTSTAMP", "UID", "DTSTART"):
        assert required in ev_a
    # Nothing about people: not the author, not the participants.
    assert b"Secr" not in response.data and b"anne@" not in response.data
    assert b"ATTENDEE" not in response.data and b"ORGANIZER" not in response.data


def test_group_feed_holds_only_that_group(admin_client, db, meetings):
    a, b = meetings
    token = create_token(admin_client)
    response = admin_client.get(f"/agenda/{token}/groupe-{a.group_id}.ics")
    assert response.status_code == 200
    found, cal = events(response.data)
    assert list(found) == [f"meeting-{a.id}@cdpl-gestion.invalid"]
    assert "Mobilités" in str(cal["X-WR-CALNAME"])
    assert admin_client.get(f"/agenda/{token}/groupe-999.ics").status_code == 404
    huge = "9" * 30
    assert admin_client.get(f"/agenda/{token}/groupe-{huge}.ics").status_code == 404


def test_unknown_and_revoked_tokens_get_404(admin_client, db, meetings):
    token = create_token(admin_client)
    assert admin_client.get("/agenda/not-a-token/reunions.ics").status_code == 404
    row = db.session.execute(sa.select(CalendarToken)).scalar_one()
    response = admin_client.post(
        f"/admin/calendar_token/edit/?id={row.id}",
        data={"label": row.label, "revoke": "y"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CalendarToken, row.id).revoked_at is not None
    assert admin_client.get(f"/agenda/{token}/reunions.ics").status_code == 404
    # Another token still works: revocation is per token.
    other = create_token(admin_client, "Téléphone")
    assert admin_client.get(f"/agenda/{other}/reunions.ics").status_code == 200


def test_uid_stable_and_sequence_grows_across_edits(admin_client, db, meetings):
    a, _ = meetings
    first, _ = events(admin_client.get(f"/admin/meeting/ics/?id={a.id}").data)
    data = {
        "version": str(a.version),
        "day": "2024-01-23",
        "start_time": "18:30",
        "end_time": "",
        "place": "Lorient",
        "status": "cancelled",
        "author": "",
    }
    assert (
        admin_client.post(f"/admin/meeting/minutes/?id={a.id}", data=data).status_code
        == 302
    )
    second, _ = events(admin_client.get(f"/admin/meeting/ics/?id={a.id}").data)
    assert list(first) == list(second)
    (before,), (after,) = first.values(), second.values()
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert after.decoded("DTSTART") == datetime(2024, 1, 23, 18, 30, tzinfo=PARIS)
    assert str(after["LOCATION"]) == "Lorient"
    assert str(after["STATUS"]) == "CANCELLED"
    assert "DTEND" not in after


def test_token_screen_never_shows_the_secret_again(admin_client, db, meetings):
    token = create_token(admin_client)
    row = db.session.execute(sa.select(CalendarToken)).scalar_one()
    for url in (
        "/admin/calendar_token/",
        f"/admin/calendar_token/details/?id={row.id}",
        f"/admin/calendar_token/edit/?id={row.id}",
    ):
        html = admin_client.get(url).get_data(as_text=True)
        assert token not in html and row.token_hash not in html


def test_edit_through_the_generic_form_also_moves_the_event(admin_client, db, meetings):
    a, _ = meetings
    before, _ = events(admin_client.get(f"/admin/meeting/ics/?id={a.id}").data)
    response = admin_client.post(
        f"/admin/meeting/edit/?id={a.id}",
        data={
            "group": str(a.group_id),
            "kind": "working_group",
            "starts_at": "2024-01-16 18:00",
            "ends_at": "2024-01-16 20:00",
            "place": "Nouveau lieu",
            "status": "planned",
        },
    )
    assert response.status_code == 302
    after, _ = events(admin_client.get(f"/admin/meeting/ics/?id={a.id}").data)
    assert list(before) == list(after)
    (old,), (new,) = before.values(), after.values()
    assert str(new["LOCATION"]) == "Nouveau lieu"
    assert new.decoded("SEQUENCE") > old.decoded("SEQUENCE")


def test_token_belongs_to_its_account_and_stops_with_it(
    app, admin_client, db, meetings
):
    token = create_token(admin_client)
    assert admin_client.get(f"/agenda/{token}/reunions.ics").status_code == 200
    stored = db.session.execute(sa.select(CalendarToken)).scalar_one()
    assert stored.user is not None and stored.user.email.startswith("admin")
    stored.user.active = False
    db.session.commit()
    # A calendar client holds no session: it asks again with the same token.
    assert app.test_client().get(f"/agenda/{token}/reunions.ics").status_code == 404
