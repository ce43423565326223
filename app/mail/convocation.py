"""Convocations: who is convoked, the pre-filled French message, and the sending.

The messages are queued in the caller's transaction with the invitations, so
that the screen commits both at once; a second submission (double click) finds
the invitations already sent and queues nothing unless "renvoyer" is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from babel.dates import format_date
from flask import current_app

from app.extensions import db
from app.mail import ics
from app.mail.invitations import (
    invitations_by_member,
    issue_link,
    meeting_end,
    paris_text,
)
from app.mail.outbox import Attachment, address_problem, queue
from app.meetings.attendance import roster, sort_members
from app.meetings.ical import meeting_summary
from app.models import (
    Invitation,
    Meeting,
    MeetingStatus,
    Member,
    MessagePurpose,
)
from app.models.base import utcnow
from app.models.meetings import PARIS


@dataclass
class Recipient:
    member: Member
    #: In the group (or the bureau, …) on the meeting day; otherwise a guest.
    expected: bool
    invitation: Invitation | None
    problem: str | None

    @property
    def already_sent(self) -> bool:
        return self.invitation is not None and self.invitation.sent_at is not None


def recipients(meeting: Meeting) -> list[Recipient]:
    """The roster (group on the day, bureau, everyone for a plenary), the guests
    already recorded, and anyone already convoked."""
    invited = {i.member_id: i for i in _invitations(meeting)}
    rows = {r.member.id: r for r in roster(meeting)}
    members = {r.member.id: r.member for r in rows.values()}
    for inv in invited.values():
        members.setdefault(inv.member_id, inv.member)
    result = []
    for member in sort_members(members.values()):
        row = rows.get(member.id)
        result.append(
            Recipient(
                member=member,
                expected=bool(row and row.in_group),
                invitation=invited.get(member.id),
                problem=address_problem(member.email),
            )
        )
    return result


def _invitations(meeting: Meeting) -> list[Invitation]:
    return list(
        db.session.execute(
            db.select(Invitation).where(Invitation.meeting_id == meeting.id)
        ).scalars()
    )


def when_in_words(meeting: Meeting) -> str:
    """ "le mardi 16 avril 2019 de 18 h 00 à 20 h 00" """
    start = meeting.local_start
    day = format_date(start.date(), format="full", locale="fr")

    def hour(moment) -> str:
        return f"{moment.hour} h {moment.minute:02d}"

    if meeting.time_unknown:
        # The day only: never "à 0 h 00".
        return f"le {day} (heure non précisée)"
    if meeting.ends_at is not None:
        return f"le {day} de {hour(start)} à {hour(meeting.local_end)}"
    return f"le {day} à {hour(start)}"


def place_text(meeting: Meeting) -> str:
    """The place, with the organisation's address when the place is its premises."""
    config = current_app.config
    place = (meeting.place or "").strip()
    address = (config.get("ORG_ADDRESS") or "").strip()
    short = (config.get("ORG_SHORT_NAME") or "").strip()
    if not place:
        return address
    if address and place.casefold() in {short.casefold(), "au " + short.casefold()}:
        return f"{place}, {address}"
    return place


def default_subject(meeting: Meeting) -> str:
    day = format_date(meeting.local_start.date(), format="full", locale="fr")
    return f"Convocation : {meeting_summary(meeting)} du {day}"


def default_body(meeting: Meeting) -> str:
    config = current_app.config
    lines = [
        "Bonjour,",
        "",
        f"Vous êtes convoqué·e à la {meeting_summary(meeting)[0].lower()}"
        f"{meeting_summary(meeting)[1:]} {when_in_words(meeting)}.",
        "",
    ]
    place = place_text(meeting)
    if place:
        lines.append(f"Lieu : {place}")
    if meeting.objective:
        lines.append(f"Objectif : {meeting.objective.strip()}")
    agenda = (getattr(meeting, "agenda", None) or "").strip()
    if agenda:
        lines += ["", "Ordre du jour :", agenda]
    if meeting.documents_url:
        lines += ["", f"Documents de la réunion : {meeting.documents_url}"]
    lines += [
        "",
        "Merci d'indiquer si vous serez présent·e ou excusé·e grâce à votre lien "
        "personnel, en fin de message. L'invitation jointe (.ics) ajoute la "
        "réunion à votre agenda.",
        "",
        "Bien cordialement,",
        f"Le secrétariat — {config.get('ORG_NAME', '')}",
    ]
    return "\n".join(lines)


def personal_footer(member: Member, link: str | None, meeting: Meeting) -> str:
    if link is None:
        return "\n\n-- \nMerci de répondre au secrétariat.\n"
    return (
        "\n\n-- \n"
        f"Votre lien personnel pour répondre ({member.full_name}) :\n{link}\n"
        f"Il vous est réservé ; vous pouvez changer votre réponse jusqu'au début "
        f"de la réunion. Valable jusqu'au {paris_text(meeting_end(meeting))}.\n"
    )


@dataclass
class SendResult:
    queued: list[Member] = field(default_factory=list)
    skipped: list[Member] = field(default_factory=list)
    without_address: list[Member] = field(default_factory=list)


class ConvocationRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_sendable(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.cancelled:
        raise ConvocationRefused("La réunion est annulée : aucune convocation.")
    if meeting.starts_at <= utcnow():
        raise ConvocationRefused(
            "La réunion a déjà commencé ou est passée : aucune convocation."
        )


def send_convocations(
    meeting: Meeting,
    members: list[Member],
    subject: str,
    body: str,
    resend: bool = False,
) -> SendResult:
    """Queue one message per member with an address (the caller commits).

    Members already convoked are skipped unless ``resend``; members without a
    valid address get an invitation row (to be convoked otherwise) but no message.
    """
    check_sendable(meeting)
    result = SendResult()
    now = utcnow()
    # One query for the invitations already made: a query per member would
    # flush the previous member's rows each time (20 flushes for 20 people).
    existing = invitations_by_member(meeting.id)
    for member in members:
        invitation = existing.get(member.id)
        if invitation is None:
            invitation = Invitation(meeting=meeting, member=member)
            db.session.add(invitation)
        if invitation.sent_at is not None and not resend:
            result.skipped.append(member)
            continue
        if address_problem(member.email):
            result.without_address.append(member)
            continue
        send_to_invitation(
            invitation, subject, body, MessagePurpose.convocation, ics.REQUEST
        )
        invitation.sent_at = now
        result.queued.append(member)
    return result


def send_to_invitation(
    invitation: Invitation,
    subject: str,
    body: str,
    purpose: MessagePurpose,
    method: str | None,
    with_link: bool = True,
):
    """Queue one message to an invited member: body, personal link, .ics."""
    meeting, member = invitation.meeting, invitation.member
    text = body
    if with_link:
        text += personal_footer(member, issue_link(invitation), meeting)
    attachments = []
    if method is not None:
        attachments.append(
            Attachment(
                "invitation.ics" if method == ics.REQUEST else "annulation.ics",
                f"text/calendar; method={method}; charset=utf-8",
                ics.invitation_ics(meeting, member, method),
            )
        )
    return queue(
        to_address=member.email,
        to_name=member.full_name,
        subject=subject,
        body=text,
        purpose=purpose,
        meeting=meeting,
        member=member,
        attachments=attachments,
    )


def letter_text(meeting: Meeting, member: Member, body: str) -> str:
    """The convocation as a letter, for members without an e-mail address."""
    return (
        f"{member.full_name}\n\n{body}\n\nMerci de répondre au secrétariat "
        f"({current_app.config.get('ORG_ADDRESS', '')})."
    )


def local_day(meeting: Meeting):
    return meeting.starts_at.astimezone(PARIS).date()
