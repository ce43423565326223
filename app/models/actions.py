"""Follow-up actions decided in meetings."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import LabelledEnum, TimestampMixin, enum_column

if TYPE_CHECKING:
    from app.models.meetings import Meeting
    from app.models.people import Member, WorkingGroup
    from app.models.plans import PlanAction


class ActionStatus(LabelledEnum):
    todo = "À faire"
    in_progress = "En cours"
    done = "Faite"
    abandoned = "Abandonnée"


OPEN_ACTION_STATUSES = (ActionStatus.todo, ActionStatus.in_progress)


class Action(TimestampMixin, db.Model):
    __tablename__ = "action"
    __label__ = "Action de suivi"
    __gender__ = "f"
    __label_plural__ = "Actions de suivi"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {"code": 12, "title": ("title",), "body": ("description",)}

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300), info={"label": "Intitulé"})
    description: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": "Description"}
    )
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="RESTRICT"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("working_group.id", ondelete="RESTRICT"), index=True
    )
    #: The meeting where the action was decided.
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="RESTRICT"), index=True
    )
    due_on: Mapped[date | None] = mapped_column(sa.Date, info={"label": "Échéance"})
    #: Due "dès que possible" instead of a date.
    asap: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, info={"label": "Dès que possible"}
    )
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus, "action_status"),
        default=ActionStatus.todo,
        info={"label": "Statut"},
    )
    done_on: Mapped[date | None] = mapped_column(sa.Date, info={"label": "Faite le"})
    plan_action_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plan_action.id", ondelete="RESTRICT"), index=True
    )

    owner: Mapped[Member | None] = relationship(info={"label": "Responsable"})
    group: Mapped[WorkingGroup | None] = relationship(info={"label": "Groupe"})
    meeting: Mapped[Meeting | None] = relationship(info={"label": "Réunion d'origine"})
    plan_action: Mapped[PlanAction | None] = relationship(
        info={"label": "Action du plan"}
    )

    __table_args__ = (
        sa.CheckConstraint("NOT (asap AND due_on IS NOT NULL)", name="asap_or_date"),
        sa.Index("ix_action_status_due_on", "status", "due_on"),
        sa.Index("ix_action_due_on", "due_on"),
        # The "as soon as possible" filter, and the dashboard's count of the
        # open ones read from the index alone (asap = 1 AND status IN ...).
        sa.Index("ix_action_asap_status", "asap", "status"),
        sa.Index("ix_action_done_on", "done_on"),
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES

    @property
    def deadline_label(self) -> str:
        if self.asap:
            return "dès que possible"
        return self.due_on.strftime("%d/%m/%Y") if self.due_on else ""

    def __str__(self) -> str:
        return self.title or f"Action n° {self.id}"
