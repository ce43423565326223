"""The feuille d'émargement of a meeting: who is expected to sign, sorted by name."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.meetings.attendance import roster
from app.meetings.report import long_date, meeting_time
from app.models import Meeting, MeetingKind, Member


@dataclass
class SigninLine:
    name: str
    college: str
    organisation: str
    guest: bool


@dataclass
class SigninSheet:
    meeting_id: int
    kind: str
    group: str
    date: str
    time: str
    place: str
    lines: list[SigninLine]

    @property
    def filename(self) -> str:
        return f"emargement-reunion-{self.meeting_id}.pdf"


def signin_sheet(meeting: Meeting) -> SigninSheet:
    """The roster (group members on the day, plus people already recorded)."""
    rows = roster(meeting)
    ids = [row.member.id for row in rows]
    if ids:
        # Load collèges and structures in two queries rather than two per person.
        db.session.execute(
            sa.select(Member)
            .options(selectinload(Member.college), selectinload(Member.organisation))
            .where(Member.id.in_(ids))
        ).scalars().all()
    lines = [
        SigninLine(
            name=f"{row.member.last_name} {row.member.first_name}".strip(),
            college=row.member.college.name if row.member.college else "",
            organisation=row.member.organisation.name
            if row.member.organisation
            else "",
            guest=row.guest,
        )
        for row in rows
    ]
    start = meeting.local_start if meeting.starts_at else None
    return SigninSheet(
        meeting_id=meeting.id,
        kind=meeting.kind.label if meeting.kind else MeetingKind.other.label,
        group=meeting.group.name if meeting.group else "",
        date=long_date(start),
        time=meeting_time(meeting),
        place=meeting.place or "",
        lines=lines,
    )
