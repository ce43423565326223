"""The meeting as an iTIP (RFC 5546) invitation attached to e-mails.

The event is the calendar feed's own (same UID, same SEQUENCE rule), so that a
calendar which imported either one updates a single event.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from app.mail.settings import smtp_settings
from app.meetings import ical
from app.models import Meeting, Member
from app.models.meetings import PARIS

if TYPE_CHECKING:
    from icalendar import Timezone

REQUEST = "REQUEST"
CANCEL = "CANCEL"


def invitation_ics(
    meeting: Meeting, member: Member | None, method: str = REQUEST
) -> bytes:
    """An .ics with METHOD:REQUEST (or CANCEL) for one convoked member."""
    # icalendar (~3 MB resident) is loaded by the first invitation written, not
    # at start-up with the mail package: few requests send a convocation.
    from icalendar import Calendar, vCalAddress, vText

    cal = Calendar()
    cal.add("prodid", "-//cdpl-gestion//convocation//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = ical.meeting_event(meeting)
    settings = smtp_settings()
    if settings.from_address:
        organizer = vCalAddress(f"mailto:{settings.from_address}")
        organizer.params["cn"] = vText(settings.from_name or settings.from_address)
        event.add("organizer", organizer)
    if member is not None and member.email:
        attendee = vCalAddress(f"mailto:{member.email}")
        attendee.params["cn"] = vText(member.full_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee)
    if method == CANCEL:
        event.pop("status", None)
        event.add("status", "CANCELLED")
    cal.add_component(_paris_zone(meeting.starts_at.astimezone(PARIS).date()))
    cal.add_component(event)
    return cal.to_ical()


@lru_cache(maxsize=32)
def _paris_zone(day: date) -> Timezone:
    """The Europe/Paris VTIMEZONE around one day (a year either side, as the feed),
    computed once per day: it was most of the cost of a convocation, one per
    recipient."""
    # Loaded where used, as in invitation_ics.
    from icalendar import Calendar, Event

    cal = Calendar()
    event = Event()
    event.add("dtstart", datetime.combine(day, time(12), PARIS))
    cal.add_component(event)
    cal.add_missing_timezones(
        first_date=day - timedelta(days=366), last_date=day + timedelta(days=366)
    )
    return cal.walk("VTIMEZONE")[0]
