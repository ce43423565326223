"""Related records listed on the details pages (issue 14: see what belongs together).

The pages show them with ``admin/people/_related.html`` (a heading, an "add"
shortcut pre-filling the link through ``SecuredModelView.create_form``, the
rows); the queries are here, one per list, at most RELATED_LIMIT rows each.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    Action,
    Amendment,
    Document,
    Indicator,
    Measurement,
    PlanAction,
)
from app.models.documents import document_plan_action
from app.plans.charts import value_text
from app.plans.money import format_euros

#: Rows listed at most per related list (the list view has the rest).
RELATED_LIMIT = 100


def _rows(stmt) -> list:
    return list(db.session.execute(stmt.limit(RELATED_LIMIT)).unique().scalars())


def _amendments(*where) -> list[Amendment]:
    return _rows(
        sa.select(Amendment)
        .join(PlanAction, Amendment.plan_action_id == PlanAction.id)
        .where(*where)
        .options(joinedload(Amendment.plan_action).joinedload(PlanAction.plan))
        .order_by(PlanAction.number, Amendment.id)
    )


def _indicators(*where) -> list[Indicator]:
    return _rows(
        sa.select(Indicator)
        .join(PlanAction, Indicator.plan_action_id == PlanAction.id)
        .where(*where)
        .order_by(PlanAction.number, Indicator.name)
    )


def _documents(*where, through_actions: bool = False) -> list[Document]:
    stmt = sa.select(Document)
    if through_actions:
        linked = (
            sa.select(document_plan_action.c.document_id)
            .join(PlanAction, PlanAction.id == document_plan_action.c.plan_action_id)
            .where(*where)
        )
        stmt = stmt.where(Document.id.in_(linked))
    else:
        stmt = stmt.where(*where)
    return _rows(stmt.order_by(Document.doc_date.desc().nulls_last(), Document.id))


def _actions(*where) -> list[Action]:
    return _rows(
        sa.select(Action)
        .where(*where)
        .order_by(Action.due_on.desc().nulls_last(), Action.id.desc())
    )


class PlanRelatedMixin:
    """A plan's actions with their budgets, amendments, indicators, documents."""

    details_template = "admin/plans/plan_details.html"

    def related_actions(self, plan) -> list[PlanAction]:
        return _rows(
            sa.select(PlanAction)
            .where(PlanAction.plan_id == plan.id)
            .order_by(PlanAction.number)
        )

    def related_amendments(self, plan) -> list[Amendment]:
        return _amendments(PlanAction.plan_id == plan.id)

    def related_indicators(self, plan) -> list[Indicator]:
        return _indicators(PlanAction.plan_id == plan.id)

    def related_documents(self, plan) -> list[Document]:
        return _documents(PlanAction.plan_id == plan.id, through_actions=True)

    @staticmethod
    def euros(value) -> str:
        return format_euros(value) if value is not None else ""


class PlanActionRelatedMixin:
    """A plan action's amendments, indicators, documents and follow-up actions."""

    details_template = "admin/plans/plan_action_details.html"

    def related_amendments(self, action) -> list[Amendment]:
        return _amendments(Amendment.plan_action_id == action.id)

    def related_indicators(self, action) -> list[Indicator]:
        return _indicators(Indicator.plan_action_id == action.id)

    def related_documents(self, action) -> list[Document]:
        return _documents(PlanAction.id == action.id, through_actions=True)

    def related_follow_ups(self, action) -> list[Action]:
        return _actions(Action.plan_action_id == action.id)


class IndicatorRelatedMixin:
    """An indicator's measurements, latest first."""

    details_template = "admin/plans/indicator_details.html"

    def related_measurements(self, indicator) -> list[Measurement]:
        return _rows(
            sa.select(Measurement)
            .where(Measurement.indicator_id == indicator.id)
            .order_by(Measurement.measured_on.desc())
        )

    @staticmethod
    def value_text(value, unit: str = "") -> str:
        return value_text(value, unit)


class MeetingRelatedMixin:
    """A meeting's documents, the amendments it examined, the actions it decided."""

    def related_documents(self, meeting) -> list[Document]:
        return _documents(Document.meeting_id == meeting.id)

    def related_amendments(self, meeting) -> list[Amendment]:
        return _amendments(Amendment.meeting_id == meeting.id)

    def related_follow_ups(self, meeting) -> list[Action]:
        return _actions(Action.meeting_id == meeting.id)


class MemberRelatedMixin:
    """The documents a member wrote and the amendments they proposed."""

    def related_documents(self, member) -> list[Document]:
        return _documents(Document.author_id == member.id)

    def related_amendments(self, member) -> list[Amendment]:
        return _amendments(Amendment.proposed_by_id == member.id)
