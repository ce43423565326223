"""Meetings: the meeting itself, attendance and decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import (
    LabelledEnum,
    TimestampMixin,
    UTCDateTime,
    enum_column,
    partial_index,
    utcnow,
)

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.people import Member, WorkingGroup

PARIS = ZoneInfo("Europe/Paris")


class MeetingKind(LabelledEnum):
    working_group = "Groupe de travail"
    bureau = "Bureau"
    plenary = "Assemblée plénière"
    board = "Conseil d'administration"
    other = "Autre"


class MeetingStatus(LabelledEnum):
    planned = "Prévue"
    held = "Tenue"
    cancelled = "Annulée"


class AttendanceStatus(LabelledEnum):
    present = "Présent·e"
    excused = "Excusé·e"
    absent = "Absent·e"


#: A meeting without minutes: neither exchanges nor context written. The SQL
#: text is shared by the partial index and the dashboard's query, because
#: SQLite uses a partial index only when the query repeats its condition.
WITHOUT_MINUTES_SQL = (
    "(exchanges IS NULL OR trim(exchanges) = '') "
    "AND (context IS NULL OR trim(context) = '')"
)


class Meeting(TimestampMixin, db.Model):
    __tablename__ = "meeting"
    __label__ = "Réunion"
    __gender__ = "f"
    __label_plural__ = "Réunions"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {
        "code": 10,
        "title": ("objective",),
        "body": ("place", "context", "exchanges"),
    }
    #: Relations that __str__ reads; list queries load them eagerly.
    __str_relations__ = ("group",)
    #: What a picker matches besides the search index: the parts of __str__
    #: (the group, or the kind without one, and the day; app/search/labels.py).
    __label_parts__ = ("group", "kind", "starts_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Empty for bureau, plenary and board meetings.
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("working_group.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[MeetingKind] = mapped_column(
        enum_column(MeetingKind, "meeting_kind"),
        default=MeetingKind.working_group,
        info={"label": "Type"},
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), info={"label": "Début"})
    #: The source gives the day only: starts_at holds midnight (Paris) of that day,
    #: screens say "heure non précisée" and calendars show an all-day event.
    time_unknown: Mapped[bool] = mapped_column(
        default=False,
        server_default=sa.false(),
        info={"label": "Heure non précisée"},
    )
    ends_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Fin"}
    )
    place: Mapped[str | None] = mapped_column(sa.String(255), info={"label": "Lieu"})
    objective: Mapped[str | None] = mapped_column(sa.Text, info={"label": "Objectif"})
    #: Who writes the minutes ("Rédaction").
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="RESTRICT"), index=True
    )
    context: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": "Éléments de contexte"}
    )
    #: Markdown; rendered through nh3 before display.
    exchanges: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": "Échanges et informations"}
    )
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus, "meeting_status"),
        default=MeetingStatus.planned,
        info={"label": "Statut"},
    )
    documents_url: Mapped[str | None] = mapped_column(
        sa.String(500), info={"label": "Lien vers les documents"}
    )
    #: What the link is called in the source ("Google Drive partagé").
    documents_label: Mapped[str | None] = mapped_column(
        sa.String(200), info={"label": "Nom du lien vers les documents"}
    )
    #: The following meeting, as announced in these minutes.
    next_meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    #: Published on the public pages and in the open-data package (date, group, objective, counts, decisions; no names).
    public: Mapped[bool] = mapped_column(
        sa.Boolean,
        default=False,
        server_default=sa.false(),
        info={"label": "Public"},
    )

    group: Mapped[WorkingGroup | None] = relationship(info={"label": "Groupe"})
    author: Mapped[Member | None] = relationship(info={"label": "Rédaction"})
    next_meeting: Mapped[Meeting | None] = relationship(
        remote_side=[id], info={"label": "Prochaine réunion"}
    )
    attendances: Mapped[list[Attendance]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        info={"label": "Présences"},
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="Decision.position",
        info={"label": "Décisions"},
    )

    __table_args__ = (
        sa.CheckConstraint(
            "ends_at IS NULL OR ends_at >= starts_at", name="ends_after_start"
        ),
        sa.CheckConstraint(
            "next_meeting_id IS NULL OR next_meeting_id <> id", name="next_not_self"
        ),
        sa.Index("ix_meeting_starts_at", "starts_at"),
        sa.Index("ix_meeting_status", "status"),
        sa.Index("ix_meeting_kind", "kind"),
        # Only the meetings without minutes, by date: the dashboard's list
        # reads a few index entries instead of every meeting's text.
        partial_index(
            "ix_meeting_without_minutes", "starts_at", where=WITHOUT_MINUTES_SQL
        ),
        sa.Index("ix_meeting_public", "public"),
    )

    @property
    def local_start(self) -> datetime | None:
        return self.starts_at.astimezone(PARIS) if self.starts_at else None

    @property
    def local_end(self) -> datetime | None:
        return self.ends_at.astimezone(PARIS) if self.ends_at else None

    @property
    def start_label(self) -> str:
        """ "16/04/2019 12:30", or "16/04/2019, heure non précisée"."""
        if self.starts_at is None:
            return ""
        if self.time_unknown:
            return self.local_start.strftime("%d/%m/%Y") + ", heure non précisée"
        return self.local_start.strftime("%d/%m/%Y %H:%M")

    @property
    def has_minutes(self) -> bool:
        return bool((self.exchanges or "").strip() or (self.context or "").strip())

    @property
    def title(self) -> str:
        group = self.group
        what = str(group) if group is not None else self.kind.label if self.kind else ""
        when = self.local_start.strftime("%d/%m/%Y") if self.starts_at else ""
        return f"{what} — {when}".strip(" —")

    def __str__(self) -> str:
        return self.title or f"Réunion n° {self.id}"


class Attendance(TimestampMixin, db.Model):
    __tablename__ = "attendance"
    __label__ = "Présence"
    __gender__ = "f"
    __label_plural__ = "Présences"
    #: Relations that __str__ reads; list queries load them eagerly.
    __str_relations__ = ("member",)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("member.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[AttendanceStatus] = mapped_column(
        enum_column(AttendanceStatus, "attendance_status"),
        default=AttendanceStatus.present,
        info={"label": "Présence"},
    )
    #: Guest or staff who is not a member of the meeting's group.
    guest: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, info={"label": "Invité·e"}
    )
    #: Written by the member's reply to the convocation ("excusé·e"); cleared when
    #: staff set or change the line, which a later reply then never overwrites.
    from_reply: Mapped[bool] = mapped_column(
        sa.Boolean,
        default=False,
        server_default=sa.false(),
        info={"label": "D'après la réponse"},
    )

    meeting: Mapped[Meeting] = relationship(
        back_populates="attendances", info={"label": "Réunion"}
    )
    member: Mapped[Member] = relationship(
        back_populates="attendances", info={"label": "Membre"}
    )

    __table_args__ = (
        sa.UniqueConstraint(
            "meeting_id", "member_id", name="uq_attendance_meeting_member"
        ),
        sa.Index("ix_attendance_status", "status"),
        sa.Index("ix_attendance_guest", "guest"),
    )

    def __str__(self) -> str:
        member = self.member
        status = self.status.label if self.status else ""
        return f"{member or 'Membre'} : {status}"


class Decision(TimestampMixin, db.Model):
    __tablename__ = "decision"
    __label__ = "Décision"
    __gender__ = "f"
    __label_plural__ = "Décisions"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {"code": 11, "title": ("text",)}

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text, info={"label": "Décision"})
    due_on: Mapped[date | None] = mapped_column(sa.Date, info={"label": "Échéance"})
    #: Deadline "dès que possible" instead of a date.
    asap: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, info={"label": "Dès que possible"}
    )
    position: Mapped[int] = mapped_column(
        sa.Integer, default=0, info={"label": "Ordre"}
    )

    meeting: Mapped[Meeting] = relationship(
        back_populates="decisions", info={"label": "Réunion"}
    )

    __table_args__ = (
        sa.CheckConstraint("length(trim(text)) > 0", name="text_not_empty"),
        sa.CheckConstraint("NOT (asap AND due_on IS NOT NULL)", name="asap_or_date"),
        sa.Index("ix_decision_due_on", "due_on"),
        sa.Index("ix_decision_asap", "asap"),
    )

    @property
    def deadline_label(self) -> str:
        if self.asap:
            return "dès que possible"
        return self.due_on.strftime("%d/%m/%Y") if self.due_on else ""

    def __str__(self) -> str:
        text = (self.text or "").strip()
        return text if len(text) <= 80 else text[:77] + "…"


class CalendarToken(db.Model):
    """A secret that lets a calendar client read the meeting feeds without logging in.

    Only a hash of the token is stored: the URL is shown once, when it is created.
    """

    __tablename__ = "calendar_token"
    __label__ = "Abonnement agenda"
    __label_plural__ = "Abonnements agenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 (hex) of the secret carried in the feed URL.
    token_hash: Mapped[str] = mapped_column(
        sa.String(64), info={"label": "Empreinte du jeton"}
    )
    label: Mapped[str] = mapped_column(sa.String(120), info={"label": "Libellé"})
    #: Account that owns the token; deleting the account deletes its tokens.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Créé le"}
    )
    #: Set when the token is revoked; feeds then answer 404.
    revoked_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Révoqué le"}
    )

    user: Mapped[User | None] = relationship(info={"label": "Compte"})

    __table_args__ = (
        sa.UniqueConstraint("token_hash", name="uq_calendar_token_token_hash"),
        sa.Index("ix_calendar_token_revoked_at", "revoked_at"),
    )

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def __str__(self) -> str:
        return self.label or f"Jeton n° {self.id}"
