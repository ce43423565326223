"""Notices to the convoked when a meeting moves or is cancelled, and reminders.

A change of date, time or place, or a cancellation, is noticed by a session hook
whatever screen made it (meeting form, minutes screen, import): the notices are
queued in the same transaction as the change. The .ics sent with a change has
the meeting's new SEQUENCE; a cancellation sends METHOD:CANCEL.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.orm import attributes, selectinload

from app.extensions import db
from app.mail import ics
from app.mail.convocation import place_text, send_to_invitation, when_in_words
from app.mail.outbox import address_problem
from app.meetings.ical import meeting_summary
from app.models import (
    Invitation,
    InvitationReply,
    Meeting,
    MeetingStatus,
    MessagePurpose,
)
from app.models.base import utcnow

#: Columns whose change is worth telling the convoked.
WATCHED = ("starts_at", "ends_at", "place")
PENDING_KEY = "cdpl_mail_meeting_notices"
#: Notices queued in this session, for the screen to report (``pop_queued_notices``).
QUEUED_NOTICES_KEY = "cdpl_mail_notices_queued"


def _changed(meeting: Meeting, key: str) -> bool:
    hist = attributes.get_history(meeting, key, passive=attributes.NO_CHANGE)
    if not hist.has_changes():
        return False
    old = hist.deleted[0] if hist.deleted else None
    return old != getattr(meeting, key)


def _after_flush(session, flush_context) -> None:
    """Note the meetings that moved or were cancelled (attribute history is here)."""
    notes = session.info.setdefault(PENDING_KEY, {})
    for obj in session.dirty:
        if not isinstance(obj, Meeting) or obj.id is None:
            continue
        if _changed(obj, "status") and obj.status == MeetingStatus.cancelled:
            notes[obj.id] = "cancel"
        elif obj.status != MeetingStatus.cancelled and any(
            _changed(obj, key) for key in WATCHED
        ):
            notes.setdefault(obj.id, "change")
    if not notes:
        session.info.pop(PENDING_KEY, None)


def _after_flush_postexec(session, flush_context) -> None:
    """Queue the notices once the flush wrote the new values (and SEQUENCE)."""
    notes = session.info.pop(PENDING_KEY, None)
    if not notes:
        return
    for meeting_id, kind in notes.items():
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            continue
        if meeting.starts_at <= utcnow():
            continue  # a past meeting corrected afterwards: nobody to warn
        count = (
            queue_cancellation(meeting) if kind == "cancel" else queue_change(meeting)
        )
        if count:
            queued = session.info.setdefault(QUEUED_NOTICES_KEY, {})
            queued[kind] = queued.get(kind, 0) + count


def pop_queued_notices() -> dict[str, int]:
    """{"change"|"cancel": number of messages} queued since the last call."""
    return db.session.info.pop(QUEUED_NOTICES_KEY, None) or {}


def _convoked(meeting: Meeting) -> list[Invitation]:
    rows = db.session.execute(
        sa.select(Invitation)
        .where(Invitation.meeting_id == meeting.id, Invitation.sent_at.is_not(None))
        .options(selectinload(Invitation.member))
    ).scalars()
    return [inv for inv in rows if not address_problem(inv.member.email)]


def queue_change(meeting: Meeting) -> int:
    subject = f"Modification : {meeting_summary(meeting)}"
    lines = [
        "Bonjour,",
        "",
        f"La {meeting_summary(meeting)[0].lower()}{meeting_summary(meeting)[1:]} "
        f"à laquelle vous êtes convoqué·e a changé. Elle aura lieu "
        f"{when_in_words(meeting)}.",
    ]
    place = place_text(meeting)
    if place:
        lines.append(f"Lieu : {place}")
    lines += [
        "",
        "L'invitation jointe met à jour votre agenda. Si ce changement modifie "
        "votre réponse, indiquez-le grâce à votre lien personnel.",
    ]
    body = "\n".join(lines)
    count = 0
    now = utcnow()
    for invitation in _convoked(meeting):
        send_to_invitation(
            invitation, subject, body, MessagePurpose.change, ics.REQUEST
        )
        invitation.sent_at = now
        count += 1
    return count


def queue_cancellation(meeting: Meeting) -> int:
    subject = f"Annulation : {meeting_summary(meeting)}"
    body = (
        "Bonjour,\n\n"
        f"La {meeting_summary(meeting)[0].lower()}{meeting_summary(meeting)[1:]} "
        f"prévue {when_in_words(meeting)} est annulée.\n\n"
        "L'annulation jointe retire la réunion de votre agenda.\n"
    )
    count = 0
    for invitation in _convoked(meeting):
        send_to_invitation(
            invitation,
            subject,
            body,
            MessagePurpose.cancellation,
            ics.CANCEL,
            with_link=False,
        )
        count += 1
    return count


def queue_reminders() -> int:
    """Remind the convoked who have not answered, MAIL_REMINDER_DAYS before the
    meeting (0, the default: no reminders). The caller commits."""
    days = int(current_app.config.get("MAIL_REMINDER_DAYS") or 0)
    if days <= 0:
        return 0
    now = utcnow()
    rows = (
        db.session.execute(
            sa.select(Invitation)
            .join(Meeting, Meeting.id == Invitation.meeting_id)
            .where(
                Invitation.sent_at.is_not(None),
                Invitation.reply == InvitationReply.none,
                Invitation.reminded_at.is_(None),
                Meeting.status == MeetingStatus.planned,
                Meeting.starts_at > now,
                Meeting.starts_at <= now + timedelta(days=days),
            )
            .options(selectinload(Invitation.member), selectinload(Invitation.meeting))
        )
        .scalars()
        .all()
    )
    count = 0
    for invitation in rows:
        if address_problem(invitation.member.email):
            continue
        meeting = invitation.meeting
        body = (
            "Bonjour,\n\n"
            f"Vous êtes convoqué·e {when_in_words(meeting)} "
            f"({meeting_summary(meeting)}) et nous n'avons pas encore votre "
            "réponse. Merci de l'indiquer grâce à votre lien personnel.\n"
        )
        send_to_invitation(
            invitation,
            f"Rappel : {meeting_summary(meeting)}",
            body,
            MessagePurpose.reminder,
            ics.REQUEST,
        )
        invitation.reminded_at = now
        count += 1
    return count


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    sa.event.listen(FlaskSession, "after_flush", _after_flush)
    sa.event.listen(FlaskSession, "after_flush_postexec", _after_flush_postexec)
    _installed = True
