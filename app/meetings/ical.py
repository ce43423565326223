"""iCalendar (RFC 5545) files of meetings: one meeting, or a feed of many.

Events carry only what the meeting needs (title, time, place, objective, documents
link): no participant, no author. UIDs do not depend on the host serving the file,
so a calendar keeps the same event when the tool moves or the meeting is edited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from flask import current_app
from icalendar import Calendar, Event

from app.models import Meeting, MeetingStatus
from app.models.base import utcnow
from app.models.meetings import PARIS

_STATUS = {
    MeetingStatus.planned: "CONFIRMED",
    MeetingStatus.held: "CONFIRMED",
    MeetingStatus.cancelled: "CANCELLED",
}


def uid_domain() -> str:
    return current_app.config.get("CALENDAR_UID_DOMAIN") or "cdpl-gestion.invalid"


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}@{uid_domain()}"


def meeting_summary(meeting: Meeting) -> str:
    if meeting.group is not None:
        return f"Réunion du groupe « {meeting.group} »"
    return f"Réunion : {meeting.kind.label}" if meeting.kind else "Réunion"


def meeting_event(meeting: Meeting) -> Event:
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", meeting.updated_at or utcnow())
    if meeting.created_at:
        event.add("created", meeting.created_at)
    if meeting.updated_at:
        event.add("last-modified", meeting.updated_at)
    # Clients replace an event only when SEQUENCE grows; every edit screen of a
    # meeting increments its version.
    event.add("sequence", max((meeting.version or 1) - 1, 0))
    event.add("summary", meeting_summary(meeting))
    if meeting.time_unknown:
        # Day known, time not: an all-day event (DTEND is the next day, exclusive).
        day = meeting.local_start.date()
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    else:
        event.add("dtstart", meeting.local_start)
        if meeting.ends_at is not None:
            event.add("dtend", meeting.local_end)
    if meeting.place:
        event.add("location", meeting.place)
    description = []
    if meeting.objective:
        description.append(f"Objectif : {meeting.objective.strip()}")
    if meeting.documents_url:
        description.append(f"Documents : {meeting.documents_url}")
        event.add("url", meeting.documents_url)
    if description:
        event.add("description", "\n\n".join(description))
    event.add("status", _STATUS.get(meeting.status, "CONFIRMED"))
    event.add("transp", "OPAQUE")
    return event


def calendar(meetings: Iterable[Meeting], name: str) -> bytes:
    cal = Calendar()
    org = current_app.config.get("ORG_SHORT_NAME", "CDPL")
    cal.add("prodid", f"-//{org}//cdpl-gestion//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    days: list[date] = []
    for meeting in meetings:
        cal.add_component(meeting_event(meeting))
        days.append(meeting.starts_at.astimezone(PARIS).date())
    if days:
        # The zone description only needs to cover the meetings' span.
        cal.add_missing_timezones(
            first_date=min(days) - timedelta(days=366),
            last_date=max(days) + timedelta(days=366),
        )
    return cal.to_ical()
