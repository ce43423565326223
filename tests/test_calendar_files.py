"""iCalendar details clients rely on: a duration, the file's stamp, feed caching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.test_meetings_calendar import create_token, events, meetings  # noqa: F401

STAMP = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_meeting_without_end_gets_the_default_duration(
    app,
    admin_client,
    meetings,  # noqa: F811
    monkeypatch,
):
    with_end, without_end = meetings
    body = admin_client.get(f"/admin/meeting/ics/?id={without_end.id}").data
    (event,) = events(body)[0].values()
    assert "DTEND" not in event
    assert event.decoded("DURATION") == timedelta(hours=2)
    monkeypatch.setitem(app.config, "CALENDAR_DEFAULT_DURATION_MINUTES", 90)
    body = admin_client.get(f"/admin/meeting/ics/?id={without_end.id}").data
    (event,) = events(body)[0].values()
    assert event.decoded("DURATION") == timedelta(minutes=90)
    # A meeting with an end keeps DTEND and gets no DURATION (RFC 5545: not both).
    body = admin_client.get(f"/admin/meeting/ics/?id={with_end.id}").data
    (event,) = events(body)[0].values()
    assert "DTEND" in event and "DURATION" not in event


def test_dtstamp_is_the_files_creation_time(admin_client, meetings, monkeypatch):  # noqa: F811
    monkeypatch.setattr("app.meetings.ical.utcnow", lambda: STAMP)
    token = create_token(admin_client)
    found, cal = events(admin_client.get(f"/agenda/{token}/reunions.ics").data)
    assert str(cal["METHOD"]) == "PUBLISH"
    for event in found.values():
        assert event.decoded("DTSTAMP") == STAMP
        assert event.decoded("LAST-MODIFIED") != STAMP  # the meeting's own edit


def test_feed_keeps_its_cache_policy(admin_client, meetings):  # noqa: F811
    token = create_token(admin_client)
    response = admin_client.get(f"/agenda/{token}/reunions.ics")
    assert response.headers["Cache-Control"] == "private, max-age=900"
    # Every other page stays out of caches.
    page = admin_client.get("/admin/meeting/")
    assert page.headers["Cache-Control"] == "no-store"
