"""Attendance: a meeting's roster and the attendance rates of members and groups."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Member,
    MemberRole,
    Membership,
)
from app.models.base import utcnow


def name_key(member: Member) -> tuple[str, str]:
    """Sort key "last name, first name", ignoring case and accents (Bréhaut ~ Brehaut)."""

    def fold(text: str | None) -> str:
        decomposed = unicodedata.normalize("NFKD", text or "")
        return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

    return (fold(member.last_name), fold(member.first_name))


def sort_members(members) -> list[Member]:
    return sorted(members, key=lambda m: (*name_key(m), m.id or 0))


@dataclass
class RosterRow:
    member: Member
    status: AttendanceStatus | None
    #: Not a member of the group on the meeting day (guest or staff).
    guest: bool
    in_group: bool


def group_member_ids(group_id: int | None, on: date) -> set[int]:
    """Members of the group on a given day (memberships not ended, member not gone).

    A membership's start date is not checked: groups are often recorded after the
    fact, and a meeting entered late must still list who sat in it.
    """
    if group_id is None:
        return set()
    stmt = (
        sa.select(Membership.member_id)
        .join(Member, Member.id == Membership.member_id)
        .where(Membership.group_id == group_id)
        .where(sa.or_(Membership.until.is_(None), Membership.until >= on))
        .where(sa.or_(Member.left_on.is_(None), Member.left_on >= on))
    )
    return set(db.session.execute(stmt).scalars())


#: Who is expected at meetings that belong to no group, by kind of meeting.
ROLES_BY_KIND = {
    MeetingKind.bureau: (MemberRole.bureau, MemberRole.presidency),
    MeetingKind.board: (MemberRole.bureau, MemberRole.presidency),
    MeetingKind.plenary: (MemberRole.member, MemberRole.bureau, MemberRole.presidency),
}


def expected_member_ids(meeting: Meeting, on: date) -> set[int]:
    """The group on the meeting day; for bureau, board and plenary: by role."""
    if meeting.group_id is not None:
        return group_member_ids(meeting.group_id, on)
    roles = ROLES_BY_KIND.get(meeting.kind)
    if not roles:
        return set()
    stmt = sa.select(Member.id).where(
        Member.role.in_(roles),
        sa.or_(Member.left_on.is_(None), Member.left_on >= on),
    )
    return set(db.session.execute(stmt).scalars())


def roster(meeting: Meeting) -> list[RosterRow]:
    """The expected members on the meeting day plus everyone already recorded."""
    day = meeting.local_start.date() if meeting.starts_at else date.today()
    member_ids = expected_member_ids(meeting, day)
    recorded = {a.member_id: a for a in meeting.attendances}
    ids = member_ids | set(recorded)
    if not ids:
        return []
    members = db.session.execute(sa.select(Member).where(Member.id.in_(ids))).scalars()
    rows = []
    for member in sort_members(members):
        att = recorded.get(member.id)
        in_group = member.id in member_ids
        rows.append(
            RosterRow(
                member=member,
                status=att.status if att else None,
                guest=att.guest if att else not in_group,
                in_group=in_group,
            )
        )
    return rows


@dataclass
class Rate:
    present: int = 0
    excused: int = 0
    absent: int = 0

    @property
    def total(self) -> int:
        return self.present + self.excused + self.absent

    @property
    def percent(self) -> int | None:
        """Share of recorded meetings the person attended, rounded; None if none."""
        if not self.total:
            return None
        return round(100 * self.present / self.total)

    @property
    def label(self) -> str:
        if self.percent is None:
            return "aucune présence enregistrée"
        return (
            f"{self.percent} % ({self.present} présence(s) sur {self.total} "
            f"réunion(s), {self.excused} excusée(s), {self.absent} absence(s))"
        )

    @property
    def group_label(self) -> str:
        """For a group: share of expected attendances that were presences."""
        if self.percent is None:
            return "aucune présence enregistrée"
        return (
            f"{self.percent} % ({self.present} présence(s) sur {self.total} "
            f"participation(s) attendue(s), {self.excused} excusée(s), "
            f"{self.absent} absence(s))"
        )

    def add(self, status: AttendanceStatus, count: int = 1) -> None:
        if status == AttendanceStatus.present:
            self.present += count
        elif status == AttendanceStatus.excused:
            self.excused += count
        elif status == AttendanceStatus.absent:
            self.absent += count


def _counted_meetings():
    """Meetings that count in the rates: held or past, never cancelled."""
    return sa.and_(
        Meeting.status != MeetingStatus.cancelled,
        sa.or_(Meeting.status == MeetingStatus.held, Meeting.starts_at <= utcnow()),
    )


def member_rate(member_id: int) -> Rate:
    stmt = (
        sa.select(Attendance.status, sa.func.count())
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.member_id == member_id, _counted_meetings())
        .group_by(Attendance.status)
    )
    rate = Rate()
    for status, count in db.session.execute(stmt):
        rate.add(status, count)
    return rate


@dataclass
class GroupRates:
    overall: Rate = field(default_factory=Rate)
    #: (member, rate) in "last name, first name" order; guests are left out.
    members: list[tuple[Member, Rate]] = field(default_factory=list)
    meetings: int = 0


def group_rates(group_id: int) -> GroupRates:
    stmt = (
        sa.select(Attendance.member_id, Attendance.status, sa.func.count())
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Meeting.group_id == group_id,
            Attendance.guest.is_(False),
            _counted_meetings(),
        )
        .group_by(Attendance.member_id, Attendance.status)
    )
    result = GroupRates()
    per_member: dict[int, Rate] = {}
    for member_id, status, count in db.session.execute(stmt):
        per_member.setdefault(member_id, Rate()).add(status, count)
        result.overall.add(status, count)
    # Meetings with attendance recorded (a past meeting nobody filled in is unknown).
    result.meetings = db.session.execute(
        sa.select(sa.func.count(sa.distinct(Attendance.meeting_id)))
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Meeting.group_id == group_id, _counted_meetings())
    ).scalar_one()
    if per_member:
        members = db.session.execute(
            sa.select(Member).where(Member.id.in_(per_member))
        ).scalars()
        result.members = [(m, per_member[m.id]) for m in sort_members(members)]
    return result


def attendance_lists(meeting: Meeting) -> dict[AttendanceStatus, list[Attendance]]:
    """The meeting's attendances by status, each list in "last name, first name" order."""
    atts = (
        db.session.execute(
            sa.select(Attendance)
            .where(Attendance.meeting_id == meeting.id)
            .options(selectinload(Attendance.member))
        )
        .scalars()
        .all()
    )
    lists: dict[AttendanceStatus, list[Attendance]] = {s: [] for s in AttendanceStatus}
    for att in sorted(atts, key=lambda a: (*name_key(a.member), a.member_id)):
        lists[att.status].append(att)
    return lists
