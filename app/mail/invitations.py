"""Personal reply links, the member's answer, and what it writes on the attendance sheet.

A link is a random secret bound to one invitation (one member, one meeting);
only its SHA-256 is stored. It works until the meeting ends and answers only
until the meeting starts. Each new message to the member carries a fresh link,
which replaces the previous one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.meetings.attendance import expected_member_ids
from app.models import (
    Attendance,
    AttendanceStatus,
    Invitation,
    InvitationReply,
    Meeting,
    MeetingStatus,
)
from app.models.base import utcnow
from app.models.meetings import PARIS

#: A meeting without an end time is taken to last this long.
DEFAULT_DURATION = timedelta(hours=3)
#: Longest token accepted in a URL (ours are 43 characters).
MAX_TOKEN_LENGTH = 100
#: Endpoint of the public reply page (registered by app/public/replies.py).
REPLY_ENDPOINT = "replies.reply"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def meeting_end(meeting: Meeting) -> datetime:
    return meeting.ends_at or (meeting.starts_at + DEFAULT_DURATION)


def issue_link(invitation: Invitation) -> str | None:
    """A fresh secret for the invitation (the old link stops working) and its URL;
    None when no absolute URL can be built (a command without PUBLIC_URL)."""
    url_of = link_builder()
    if url_of is None:
        return None
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    invitation.valid_until = meeting_end(invitation.meeting)
    return url_of(token)


def link_builder():
    """A function token -> absolute reply URL, or None outside a request when
    neither PUBLIC_URL nor SERVER_NAME says where the site is."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return lambda token: url_for(REPLY_ENDPOINT, token=token, _external=True)
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not base:
        return None

    def build(token: str) -> str:
        with current_app.test_request_context("/", base_url=base):
            return url_for(REPLY_ENDPOINT, token=token, _external=True)

    return build


class LinkProblem(Exception):
    """The link cannot be used; ``message`` says why in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


UNKNOWN_LINK = (
    "Ce lien n'est pas (ou plus) valable. S'il vient d'un courriel ancien, "
    "utilisez le lien du dernier message reçu, ou répondez directement au "
    "secrétariat."
)


def find_invitation(token: str | None) -> Invitation:
    """The invitation of a link that may still be opened, or LinkProblem."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkProblem(UNKNOWN_LINK)
    invitation = db.session.execute(
        sa.select(Invitation).where(Invitation.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if invitation is None:
        raise LinkProblem(UNKNOWN_LINK)
    if invitation.valid_until is None or invitation.valid_until <= utcnow():
        raise LinkProblem(
            "Ce lien a expiré : la réunion est terminée. Pour toute question, "
            "contactez le secrétariat."
        )
    return invitation


def reply_closed_reason(invitation: Invitation) -> str | None:
    """Why the member can no longer answer (French), or None while they can."""
    meeting = invitation.meeting
    if meeting.status == MeetingStatus.cancelled:
        return "Cette réunion est annulée : aucune réponse n'est attendue."
    if meeting.starts_at <= utcnow():
        return (
            "La réunion a commencé : la réponse ne peut plus être modifiée. "
            "Prévenez le secrétariat si besoin."
        )
    return None


def record_reply(
    invitation: Invitation,
    reply: InvitationReply,
    comment: str | None = None,
    represented_by: str | None = None,
) -> None:
    """Store the member's answer and reflect it on the attendance sheet."""
    invitation.reply = reply
    invitation.replied_at = utcnow()
    invitation.comment = (comment or "").strip() or None
    invitation.represented_by = (
        " ".join((represented_by or "").split())[:200] or None
        if reply == InvitationReply.excused
        else None
    )
    apply_to_attendance(invitation)


def apply_to_attendance(invitation: Invitation) -> None:
    """An excused answer pre-fills "excusé·e"; staff's own entries are never touched.

    A line written by a reply is marked ``from_reply``; the attendance screen
    clears the mark when staff set or change the line.
    """
    attendance = db.session.execute(
        sa.select(Attendance).where(
            Attendance.meeting_id == invitation.meeting_id,
            Attendance.member_id == invitation.member_id,
        )
    ).scalar_one_or_none()
    if attendance is not None and not attendance.from_reply:
        return
    if invitation.reply == InvitationReply.excused:
        if attendance is None:
            meeting = invitation.meeting
            expected = expected_member_ids(meeting, meeting.local_start.date())
            db.session.add(
                Attendance(
                    meeting_id=invitation.meeting_id,
                    member_id=invitation.member_id,
                    status=AttendanceStatus.excused,
                    guest=invitation.member_id not in expected,
                    from_reply=True,
                )
            )
        else:
            attendance.status = AttendanceStatus.excused
    elif attendance is not None:
        # "Présence annoncée" is shown, not recorded: staff confirm it on the day.
        db.session.delete(attendance)


@dataclass
class ReplyCounts:
    convoked: int = 0
    replied: int = 0
    present: int = 0
    excused: int = 0

    @property
    def without_reply(self) -> int:
        return self.convoked - self.replied


def reply_counts(meeting_id: int) -> ReplyCounts:
    """Convoqués, réponses, présents annoncés, excusés (sans réponse by difference)."""
    rows = db.session.execute(
        sa.select(Invitation.reply, sa.func.count())
        .where(Invitation.meeting_id == meeting_id, Invitation.sent_at.is_not(None))
        .group_by(Invitation.reply)
    )
    counts = ReplyCounts()
    for reply, count in rows:
        counts.convoked += count
        if reply == InvitationReply.present:
            counts.present += count
            counts.replied += count
        elif reply == InvitationReply.excused:
            counts.excused += count
            counts.replied += count
    return counts


def invitations_by_member(meeting_id: int) -> dict[int, Invitation]:
    rows = db.session.execute(
        sa.select(Invitation)
        .where(Invitation.meeting_id == meeting_id)
        .options(selectinload(Invitation.member))
    ).scalars()
    return {inv.member_id: inv for inv in rows}


def paris_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
