"""iCalendar (RFC 5545) files of meetings: one meeting, or a feed of many.

Events carry only what the meeting needs (title, time, place, objective, documents
link): no participant, no author. UIDs do not depend on the host serving the file,
so a calendar keeps the same event when the tool moves or the meeting is edited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app

from app.models import Meeting, MeetingStatus
from app.models.base import utcnow
from app.models.meetings import PARIS
from app.normalisers import is_web_link, without_control_chars

if TYPE_CHECKING:
    from icalendar import Event

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


def default_duration() -> timedelta:
    """Length given to a meeting without an end time (CALENDAR_DEFAULT_DURATION_MINUTES)."""
    minutes = current_app.config.get("CALENDAR_DEFAULT_DURATION_MINUTES", 120)
    return timedelta(minutes=int(minutes))


def meeting_event(meeting: Meeting, stamp: datetime | None = None) -> Event:
    """One VEVENT; ``stamp`` is the file's creation time (DTSTAMP under PUBLISH)."""
    # icalendar (~3 MB resident) is loaded by the first calendar served, not
    # at start-up: few requests are calendar downloads.
    from icalendar import Event

    event = Event()
    event.add("uid", meeting_uid(meeting))
    # RFC 5545 3.8.7.2: with METHOD, DTSTAMP is when the file was created;
    # LAST-MODIFIED carries the meeting's own edit time.
    event.add("dtstamp", stamp or utcnow())
    if meeting.created_at:
        event.add("created", meeting.created_at)
    if meeting.updated_at:
        event.add("last-modified", meeting.updated_at)
    # Clients replace an event only when SEQUENCE grows; every edit screen of a
    # meeting increments its version.
    event.add("sequence", max((meeting.version or 1) - 1, 0))
    event.add("summary", without_control_chars(meeting_summary(meeting)))
    if meeting.time_unknown:
        # Day known, time not: an all-day event (DTEND is the next day, exclusive).
        day = meeting.local_start.date()
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    else:
        event.add("dtstart", meeting.local_start)
        if meeting.ends_at is not None:
            event.add("dtend", meeting.local_end)
        else:
            # Without DTEND or DURATION a client shows a zero-length event.
            event.add("duration", default_duration())
    # Values stored before control characters and odd links were refused must
    # not break every subscriber's feed.
    if meeting.place:
        event.add("location", without_control_chars(meeting.place))
    description = []
    if meeting.objective:
        objective = without_control_chars(meeting.objective.strip())
        description.append(f"Objectif : {objective}")
    if is_web_link(meeting.documents_url):
        description.append(f"Documents : {meeting.documents_url}")
        event.add("url", meeting.documents_url)
    if description:
        event.add("description", "\n\n".join(description))
    event.add("status", _STATUS.get(meeting.status, "CONFIRMED"))
    event.add("transp", "OPAQUE")
    return event


def _shifted(day: date, days: int) -> date:
    """``day`` moved by ``days``, or ``day`` itself at the ends of the calendar
    (a meeting stored in year 1 made every feed fail)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return day


def calendar(meetings: Iterable[Meeting], name: str) -> bytes:
    from icalendar import Calendar  # loaded where used (see meeting_event)

    cal = Calendar()
    org = current_app.config.get("ORG_SHORT_NAME", "CDPL")
    cal.add("prodid", f"-//{org}//cdpl-gestion//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    days: list[date] = []
    stamp = utcnow()
    for meeting in meetings:
        cal.add_component(meeting_event(meeting, stamp))
        days.append(meeting.starts_at.astimezone(PARIS).date())
    if days:
        # The zone description only needs to cover the meetings' span.
        cal.add_missing_timezones(
            first_date=_shifted(min(days), -366), last_date=_shifted(max(days), 366)
        )
    return cal.to_ical()
