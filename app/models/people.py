"""People: organisations, colleges, members, working groups and memberships."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import LabelledEnum, TimestampMixin, UTCDateTime, enum_column


class OrganisationKind(LabelledEnum):
    association = "Association"
    company = "Entreprise"
    local_authority = "Collectivité"
    public_body = "Établissement public"
    other = "Autre"


class MemberRole(LabelledEnum):
    member = "Membre"
    bureau = "Bureau"
    presidency = "Présidence"
    staff = "Salarié·e"
    external = "Contact externe"


class GroupRole(LabelledEnum):
    lead = "Animateur·rice"
    rapporteur = "Rapporteur·e"
    member = "Membre"


class Organisation(TimestampMixin, db.Model):
    __tablename__ = "organisation"
    __label__ = "Structure"
    __gender__ = "f"
    __label_plural__ = "Structures"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {"code": 1, "title": ("name",), "body": ("town",)}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), info={"label": "Nom"})
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column(OrganisationKind, "organisation_kind"),
        default=OrganisationKind.association,
        info={"label": "Type"},
    )
    town: Mapped[str | None] = mapped_column(sa.String(120), info={"label": "Commune"})

    members: Mapped[list[Member]] = relationship(
        back_populates="organisation", info={"label": "Membres"}
    )

    __table_args__ = (
        sa.UniqueConstraint("name", name="uq_organisation_name"),
        sa.Index("ix_organisation_kind", "kind"),
        sa.Index("ix_organisation_town", "town"),
    )

    def __str__(self) -> str:
        return self.name or ""


class College(TimestampMixin, db.Model):
    __tablename__ = "college"
    __label__ = "Collège"
    __label_plural__ = "Collèges"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {"code": 2, "title": ("name",)}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), info={"label": "Nom"})
    #: Display order in lists and pickers.
    position: Mapped[int] = mapped_column(
        sa.Integer, default=0, info={"label": "Ordre"}
    )

    __table_args__ = (sa.UniqueConstraint("name", name="uq_college_name"),)

    def __str__(self) -> str:
        return self.name or ""


class Member(TimestampMixin, db.Model):
    __tablename__ = "member"
    __label__ = "Membre"
    __label_plural__ = "Membres"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {
        "code": 3,
        "title": ("first_name", "last_name"),
        "body": ("email", "town", "notes"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(100), info={"label": "Prénom"})
    last_name: Mapped[str] = mapped_column(sa.String(100), info={"label": "Nom"})
    #: Stored lower-cased so that uniqueness is case-insensitive on every database.
    email: Mapped[str | None] = mapped_column(
        sa.String(254), info={"label": "Courriel"}
    )
    #: E.164 form (+33...), normalised on input.
    phone: Mapped[str | None] = mapped_column(
        sa.String(32), info={"label": "Téléphone"}
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    college_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("college.id", ondelete="RESTRICT"), index=True
    )
    town: Mapped[str | None] = mapped_column(sa.String(120), info={"label": "Commune"})
    role: Mapped[MemberRole] = mapped_column(
        enum_column(MemberRole, "member_role"),
        default=MemberRole.member,
        info={"label": "Rôle au conseil"},
    )
    joined_on: Mapped[date | None] = mapped_column(
        sa.Date, info={"label": "Entré·e le"}
    )
    #: Set when the member leaves; archived members stay in history and statistics.
    left_on: Mapped[date | None] = mapped_column(sa.Date, info={"label": "Parti·e le"})
    notes: Mapped[str | None] = mapped_column(sa.Text, info={"label": "Notes"})
    #: Set by the RGPD anonymisation: identifying fields were replaced for good.
    anonymised_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Anonymisé·e le"}
    )

    organisation: Mapped[Organisation | None] = relationship(
        back_populates="members", info={"label": "Structure"}
    )
    college: Mapped[College | None] = relationship(info={"label": "Collège"})
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="member", info={"label": "Groupes"}
    )
    # "Attendance" is resolved by name in the model registry: meetings.py imports
    # this module (a meeting belongs to a group), never the other way round.
    attendances: Mapped[list["Attendance"]] = relationship(  # noqa: F821, UP037
        back_populates="member", info={"label": "Présences"}
    )

    __table_args__ = (
        sa.UniqueConstraint("email", name="uq_member_email"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint(
            "left_on IS NULL OR joined_on IS NULL OR left_on >= joined_on",
            name="left_after_joined",
        ),
        sa.Index("ix_member_last_name_first_name", "last_name", "first_name"),
        sa.Index("ix_member_role", "role"),
        sa.Index("ix_member_town", "town"),
        # Lists show current members (left_on IS NULL) by name: one index serves
        # the filter and the order (SQLite otherwise sorts every member per page).
        sa.Index("ix_member_left_on_last_name", "left_on", "last_name", "first_name"),
        sa.Index("ix_member_joined_on", "joined_on"),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_archived(self) -> bool:
        return self.left_on is not None

    def __str__(self) -> str:
        return self.full_name


class WorkingGroup(TimestampMixin, db.Model):
    __tablename__ = "working_group"
    __label__ = "Groupe de travail"
    __label_plural__ = "Groupes de travail"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {"code": 4, "title": ("name",), "body": ("description",)}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), info={"label": "Nom"})
    description: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": "Description"}
    )
    active: Mapped[bool] = mapped_column(
        sa.Boolean, default=True, info={"label": "Actif"}
    )

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group",
        cascade="all, delete-orphan",
        info={"label": "Participants"},
    )

    __table_args__ = (
        sa.UniqueConstraint("name", name="uq_working_group_name"),
        sa.Index("ix_working_group_active", "active"),
    )

    def __str__(self) -> str:
        return self.name or ""


class Membership(TimestampMixin, db.Model):
    __tablename__ = "membership"
    __label__ = "Participation à un groupe"
    __gender__ = "f"
    __label_plural__ = "Participations aux groupes"
    #: Relations that __str__ reads; list queries load them eagerly.
    __str_relations__ = ("member", "group")

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("member.id", ondelete="RESTRICT"), index=True
    )
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("working_group.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[GroupRole] = mapped_column(
        enum_column(GroupRole, "group_role"),
        default=GroupRole.member,
        info={"label": "Rôle"},
    )
    since: Mapped[date | None] = mapped_column(sa.Date, info={"label": "Depuis le"})
    until: Mapped[date | None] = mapped_column(sa.Date, info={"label": "Jusqu'au"})

    member: Mapped[Member] = relationship(
        back_populates="memberships", info={"label": "Membre"}
    )
    group: Mapped[WorkingGroup] = relationship(
        back_populates="memberships", info={"label": "Groupe"}
    )

    __table_args__ = (
        sa.UniqueConstraint(
            "group_id", "member_id", "since", name="uq_membership_group_member_since"
        ),
        sa.CheckConstraint(
            "until IS NULL OR since IS NULL OR until >= since", name="until_after_since"
        ),
        sa.Index("ix_membership_role", "role"),
    )

    @property
    def is_current(self) -> bool:
        return self.until is None or self.until >= date.today()

    def __str__(self) -> str:
        member = self.member
        group = self.group
        if member is not None and group is not None:
            return f"{member} — {group}"
        return f"Participation n° {self.id}"


__all__ = [
    "College",
    "GroupRole",
    "Member",
    "MemberRole",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "WorkingGroup",
]
