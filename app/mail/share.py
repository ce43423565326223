"""Sharing the compte rendu by e-mail with the participants and the excused.

Attachments come from ``REPORT_ATTACHMENTS``: the ODT is built here; another
format (the PDF of issue 13) registers its builder with
``register_report_attachment`` and is attached from then on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from babel.dates import format_date

from app.extensions import db
from app.mail.outbox import Attachment, address_problem, queue
from app.meetings.attendance import attendance_lists
from app.meetings.ical import meeting_summary
from app.meetings.report import build_report
from app.models import (
    AttendanceStatus,
    Meeting,
    Member,
    MessagePurpose,
    OutboxMessage,
)

#: Builders of the files attached to a shared compte rendu (None: nothing).
AttachmentBuilder = Callable[[Meeting], Attachment | None]


def _odt(meeting: Meeting) -> Attachment:
    # odfpy (~2 MB resident) is loaded by the first ODT written, not at start-up.
    from app.meetings.odt import to_odt

    report = build_report(meeting)
    return Attachment(
        f"{report.filename}.odt",
        "application/vnd.oasis.opendocument.text",
        to_odt(report),
    )


REPORT_ATTACHMENTS: list[AttachmentBuilder] = [_odt]


def register_report_attachment(builder: AttachmentBuilder) -> None:
    """Attach one more file to every shared compte rendu (e.g. the PDF)."""
    if builder not in REPORT_ATTACHMENTS:
        REPORT_ATTACHMENTS.append(builder)


def build_attachments(meeting: Meeting) -> list[Attachment]:
    return [a for a in (build(meeting) for build in REPORT_ATTACHMENTS) if a]


def attachment_names(meeting: Meeting) -> list[str]:
    return [a.filename for a in build_attachments(meeting)]


@dataclass
class ShareRecipient:
    member: Member
    status: AttendanceStatus
    problem: str | None
    already_sent: bool


def share_recipients(meeting: Meeting) -> list[ShareRecipient]:
    """Participants and excused members of the meeting, in name order."""
    sent = set(
        db.session.execute(
            sa.select(OutboxMessage.member_id).where(
                OutboxMessage.meeting_id == meeting.id,
                OutboxMessage.purpose == MessagePurpose.report,
            )
        ).scalars()
    )
    lists = attendance_lists(meeting)
    rows = []
    for status in (AttendanceStatus.present, AttendanceStatus.excused):
        for att in lists[status]:
            rows.append(
                ShareRecipient(
                    att.member,
                    status,
                    address_problem(att.member.email),
                    att.member_id in sent,
                )
            )
    return rows


def default_subject(meeting: Meeting) -> str:
    day = format_date(meeting.local_start.date(), format="long", locale="fr")
    return f"Compte rendu : {meeting_summary(meeting)} du {day}"


def default_body(meeting: Meeting, link: str | None) -> str:
    lines = [
        "Bonjour,",
        "",
        f"Vous trouverez ci-joint le compte rendu de la "
        f"{meeting_summary(meeting)[0].lower()}{meeting_summary(meeting)[1:]} du "
        f"{format_date(meeting.local_start.date(), format='full', locale='fr')}.",
    ]
    if link:
        lines += ["", f"Il est aussi consultable en ligne (avec un compte) : {link}"]
    if meeting.documents_url:
        lines += ["", f"Documents de la réunion : {meeting.documents_url}"]
    lines += ["", "Bien cordialement,", "Le secrétariat"]
    return "\n".join(lines)


@dataclass
class ShareResult:
    queued: list[Member] = field(default_factory=list)
    skipped: list[Member] = field(default_factory=list)
    without_address: list[Member] = field(default_factory=list)


def share_report(
    meeting: Meeting,
    members: list[Member],
    subject: str,
    body: str,
    resend: bool = False,
) -> ShareResult:
    """Queue the compte rendu to each member (the caller commits)."""
    result = ShareResult()
    already = {r.member.id for r in share_recipients(meeting) if r.already_sent}
    attachments = build_attachments(meeting)
    for member in members:
        if member.id in already and not resend:
            result.skipped.append(member)
            continue
        if address_problem(member.email):
            result.without_address.append(member)
            continue
        queue(
            to_address=member.email,
            to_name=member.full_name,
            subject=subject,
            body=body,
            purpose=MessagePurpose.report,
            meeting=meeting,
            member=member,
            attachments=attachments,
        )
        result.queued.append(member)
    return result
