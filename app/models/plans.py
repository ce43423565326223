"""Territorial plans the council monitors: actions, amendments, indicators."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import (
    LabelledEnum,
    TimestampMixin,
    UTCDateTime,
    enum_column,
    utcnow,
)

if TYPE_CHECKING:
    from app.models.meetings import Meeting
    from app.models.people import Member, Organisation

MONEY = sa.Numeric(14, 2)
QUANTITY = sa.Numeric(18, 4)
PERCENT = sa.Numeric(5, 2)


class AmendmentKind(LabelledEnum):
    complete = "Compléter"
    replace = "Remplacer"
    add = "Ajouter"
    delete = "Supprimer"


class AmendmentStatus(LabelledEnum):
    proposed = "Proposé"
    adopted_by_group = "Retenu par le groupe"
    sent = "Transmis"
    accepted = "Accepté"
    rejected = "Rejeté"


class ProgressStatus(LabelledEnum):
    """Progress of a plan action as the council sees it."""

    not_started = "Non démarrée"
    in_progress = "En cours"
    done = "Réalisée"
    abandoned = "Abandonnée"
    unknown = "Inconnue"


class Direction(LabelledEnum):
    up = "Hausse"
    down = "Baisse"


class Plan(TimestampMixin, db.Model):
    __tablename__ = "plan"
    __label__ = "Plan suivi"
    __label_plural__ = "Plans suivis"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {"code": 5, "title": ("short_name", "name")}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), info={"label": "Nom"})
    short_name: Mapped[str | None] = mapped_column(
        sa.String(30), info={"label": "Sigle"}
    )
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    starts_on: Mapped[date | None] = mapped_column(
        sa.Date, info={"label": "Début de période"}
    )
    ends_on: Mapped[date | None] = mapped_column(
        sa.Date, info={"label": "Fin de période"}
    )
    #: Published on the public pages and in the open-data package (never guessed).
    public: Mapped[bool] = mapped_column(
        sa.Boolean,
        default=False,
        server_default=sa.false(),
        info={"label": "Public"},
    )

    owner: Mapped[Organisation | None] = relationship(info={"label": "Porteur"})
    actions: Mapped[list[PlanAction]] = relationship(
        back_populates="plan", info={"label": "Actions du plan"}
    )

    __table_args__ = (
        sa.UniqueConstraint("name", name="uq_plan_name"),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
            name="period_order",
        ),
        sa.Index("ix_plan_public", "public"),
    )

    def __str__(self) -> str:
        if self.short_name:
            return f"{self.short_name} — {self.name}"
        return self.name or ""


class PlanAction(TimestampMixin, db.Model):
    __tablename__ = "plan_action"
    __label__ = "Action du plan"
    __gender__ = "f"
    __label_plural__ = "Actions des plans"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {
        "code": 6,
        "title": ("action {number}", "title"),
        "body": ("axis",),
        # "action 12" or "12" lists this action first.
        "number": "number",
    }
    #: Relations that __str__ reads; list queries load them eagerly.
    __str_relations__ = ("plan",)
    #: What a picker matches besides the search index: the parts of __str__
    #: ("STN action 7": the plan and the number; app/search/labels.py).
    __label_parts__ = ("plan", "number")

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("plan.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(sa.Integer, info={"label": "Numéro"})
    title: Mapped[str] = mapped_column(sa.Text, info={"label": "Intitulé"})
    axis: Mapped[str | None] = mapped_column(
        sa.String(200), info={"label": "Axe ou thème"}
    )
    budget: Mapped[Decimal | None] = mapped_column(MONEY, info={"label": "Budget (€)"})
    progress_status: Mapped[ProgressStatus] = mapped_column(
        enum_column(ProgressStatus, "progress_status"),
        default=ProgressStatus.unknown,
        server_default=ProgressStatus.unknown.name,
        info={"label": "Avancement"},
    )
    #: Optional, 0 to 100; when empty the status alone says how far it is.
    progress_percent: Mapped[int | None] = mapped_column(
        sa.Integer, info={"label": "Avancement (%)"}
    )
    #: When the council last learnt how far the action is.
    progress_on: Mapped[date | None] = mapped_column(
        sa.Date, info={"label": "Avancement mis à jour le"}
    )
    #: Published on the public pages and in the open-data package (never guessed).
    public: Mapped[bool] = mapped_column(
        sa.Boolean,
        default=False,
        server_default=sa.false(),
        info={"label": "Public"},
    )

    plan: Mapped[Plan] = relationship(back_populates="actions", info={"label": "Plan"})
    amendments: Mapped[list[Amendment]] = relationship(
        back_populates="plan_action", info={"label": "Amendements"}
    )
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="plan_action", info={"label": "Indicateurs"}
    )

    __table_args__ = (
        sa.UniqueConstraint("plan_id", "number", name="uq_plan_action_plan_number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name="budget_positive"),
        sa.CheckConstraint(
            "progress_percent IS NULL OR "
            "(progress_percent >= 0 AND progress_percent <= 100)",
            name="progress_percent_range",
        ),
        sa.Index("ix_plan_action_axis", "axis"),
        sa.Index("ix_plan_action_progress_status", "progress_status"),
        sa.Index("ix_plan_action_public", "public"),
    )

    def __str__(self) -> str:
        plan = self.plan
        prefix = f"{plan.short_name or plan.name} " if plan is not None else ""
        return f"{prefix}action {self.number}"


class Amendment(TimestampMixin, db.Model):
    __tablename__ = "amendment"
    __label__ = "Amendement"
    __label_plural__ = "Amendements"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {"code": 7, "title": ("text",), "body": ("rationale",)}
    #: Relations that __str__ reads; list queries load them eagerly.
    __str_relations__ = ("plan_action",)
    #: What a picker matches besides the search index: the parts of __str__
    #: ("Compléter STN action 7"; app/search/labels.py).
    __label_parts__ = ("kind", "plan_action")

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_action_id: Mapped[int] = mapped_column(
        sa.ForeignKey("plan_action.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[AmendmentKind] = mapped_column(
        enum_column(AmendmentKind, "amendment_kind"),
        default=AmendmentKind.complete,
        info={"label": "Nature"},
    )
    text: Mapped[str] = mapped_column(sa.Text, info={"label": "Texte proposé"})
    rationale: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": "Justification"}
    )
    proposed_budget: Mapped[Decimal | None] = mapped_column(
        MONEY, info={"label": "Budget proposé (€)"}
    )
    #: "à hauteur de 25 % du budget total": computed against the plan's total.
    proposed_share: Mapped[Decimal | None] = mapped_column(
        PERCENT, info={"label": "Part du budget total proposée (%)"}
    )
    proposed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="RESTRICT"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[AmendmentStatus] = mapped_column(
        enum_column(AmendmentStatus, "amendment_status"),
        default=AmendmentStatus.proposed,
        info={"label": "Statut"},
    )
    #: Published on the public pages and in the open-data package (never guessed).
    public: Mapped[bool] = mapped_column(
        sa.Boolean,
        default=False,
        server_default=sa.false(),
        info={"label": "Public"},
    )

    plan_action: Mapped[PlanAction] = relationship(
        back_populates="amendments", info={"label": "Action du plan"}
    )
    proposed_by: Mapped[Member | None] = relationship(info={"label": "Proposé par"})
    meeting: Mapped[Meeting | None] = relationship(info={"label": "Réunion d'examen"})
    steps: Mapped[list[AmendmentStep]] = relationship(
        back_populates="amendment",
        cascade="all, delete-orphan",
        order_by="AmendmentStep.changed_at, AmendmentStep.id",
        info={"label": "Circuit"},
    )

    __table_args__ = (
        sa.CheckConstraint(
            "proposed_budget IS NULL OR proposed_budget >= 0",
            name="budget_positive",
        ),
        sa.CheckConstraint(
            "proposed_share IS NULL OR (proposed_share >= 0 AND proposed_share <= 100)",
            name="share_range",
        ),
        sa.Index("ix_amendment_status", "status"),
        sa.Index("ix_amendment_public", "public"),
    )

    def __str__(self) -> str:
        pa = self.plan_action
        kind = self.kind.label if self.kind else ""
        return f"{kind} {pa}" if pa is not None else f"Amendement n° {self.id}"


class AmendmentStep(db.Model):
    """One move of an amendment along its circuit: from, to, who, when."""

    __tablename__ = "amendment_step"
    __label__ = "Étape d'un amendement"
    __label_plural__ = "Étapes des amendements"

    id: Mapped[int] = mapped_column(primary_key=True)
    amendment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("amendment.id", ondelete="CASCADE"), index=True
    )
    #: Empty for the first step (the amendment was entered).
    from_status: Mapped[AmendmentStatus | None] = mapped_column(
        enum_column(AmendmentStatus, "amendment_step_from"),
        info={"label": "Statut précédent"},
    )
    to_status: Mapped[AmendmentStatus] = mapped_column(
        enum_column(AmendmentStatus, "amendment_step_to"),
        info={"label": "Nouveau statut"},
    )
    changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Date"}
    )
    #: Account id at the time; no foreign key, like the change log, so that the
    #: circuit outlives a deleted account.
    actor_id: Mapped[int | None] = mapped_column(
        sa.Integer, info={"label": "N° de compte"}
    )
    #: Account e-mail, or "demo" / "cli" for steps made by a command.
    actor_label: Mapped[str] = mapped_column(sa.String(254), info={"label": "Par"})
    note: Mapped[str | None] = mapped_column(sa.String(300), info={"label": "Note"})

    amendment: Mapped[Amendment] = relationship(
        back_populates="steps", info={"label": "Amendement"}
    )

    __table_args__ = (sa.Index("ix_amendment_step_changed_at", "changed_at"),)

    def __str__(self) -> str:
        status = self.to_status.label if self.to_status else ""
        return f"{status} — {self.actor_label or ''}"


class Indicator(TimestampMixin, db.Model):
    __tablename__ = "indicator"
    __label__ = "Indicateur"
    __label_plural__ = "Indicateurs"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {
        "code": 8,
        "title": ("name",),
        "body": ("description", "unit", "source"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_action_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plan_action.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), info={"label": "Nom"})
    description: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": "Description"}
    )
    unit: Mapped[str | None] = mapped_column(sa.String(40), info={"label": "Unité"})
    baseline: Mapped[Decimal | None] = mapped_column(
        QUANTITY, info={"label": "Valeur de référence"}
    )
    #: Where the trajectory to the target starts.
    baseline_on: Mapped[date | None] = mapped_column(
        sa.Date, info={"label": "Date de référence"}
    )
    target: Mapped[Decimal | None] = mapped_column(QUANTITY, info={"label": "Cible"})
    target_on: Mapped[date | None] = mapped_column(
        sa.Date, info={"label": "Échéance de la cible"}
    )
    direction: Mapped[Direction] = mapped_column(
        enum_column(Direction, "direction"),
        default=Direction.up,
        info={"label": "Sens souhaité"},
    )
    source: Mapped[str | None] = mapped_column(sa.String(300), info={"label": "Source"})
    #: Published on the public pages and in the open-data package (never guessed).
    public: Mapped[bool] = mapped_column(
        sa.Boolean,
        default=False,
        server_default=sa.false(),
        info={"label": "Public"},
    )

    plan_action: Mapped[PlanAction | None] = relationship(
        back_populates="indicators", info={"label": "Action du plan"}
    )
    measurements: Mapped[list[Measurement]] = relationship(
        back_populates="indicator",
        order_by="Measurement.measured_on",
        info={"label": "Mesures"},
    )

    __table_args__ = (
        sa.Index("ix_indicator_name", "name"),
        sa.Index("ix_indicator_public", "public"),
        sa.CheckConstraint(
            "target_on IS NULL OR baseline_on IS NULL OR target_on >= baseline_on",
            name="target_after_baseline",
        ),
    )

    def __str__(self) -> str:
        return self.name or f"Indicateur n° {self.id}"


class Measurement(TimestampMixin, db.Model):
    __tablename__ = "measurement"
    __label__ = "Mesure"
    __gender__ = "f"
    __label_plural__ = "Mesures"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {"code": 9, "body": ("comment", "source")}
    #: Relations that __str__ reads; list queries load them eagerly.
    __str_relations__ = ("indicator",)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("indicator.id", ondelete="RESTRICT"), index=True
    )
    measured_on: Mapped[date] = mapped_column(sa.Date, info={"label": "Date"})
    value: Mapped[Decimal] = mapped_column(QUANTITY, info={"label": "Valeur"})
    comment: Mapped[str | None] = mapped_column(sa.Text, info={"label": "Commentaire"})
    source: Mapped[str | None] = mapped_column(sa.String(300), info={"label": "Source"})

    indicator: Mapped[Indicator] = relationship(
        back_populates="measurements", info={"label": "Indicateur"}
    )

    __table_args__ = (
        sa.UniqueConstraint(
            "indicator_id", "measured_on", name="uq_measurement_indicator_date"
        ),
        sa.Index("ix_measurement_measured_on", "measured_on"),
    )

    def __str__(self) -> str:
        ind = self.indicator
        when = self.measured_on.strftime("%d/%m/%Y") if self.measured_on else ""
        return f"{ind or 'Mesure'} — {when} : {self.value}"
