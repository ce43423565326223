"""Which records are public: the record's own flag and its parents' flags.

An action of a private plan stays private even if its own flag is set, and so
on down: amendments and indicators need a public action (an indicator without
action needs only its own flag), measurements a public indicator.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Document, Meeting
from app.models.plans import Amendment, Indicator, Measurement, Plan, PlanAction


def public_plans() -> list[Plan]:
    return list(
        db.session.execute(
            sa.select(Plan).where(Plan.public.is_(True)).order_by(Plan.name, Plan.id)
        ).scalars()
    )


def public_actions(plan_id: int | None = None) -> list[PlanAction]:
    query = (
        sa.select(PlanAction)
        .join(Plan, Plan.id == PlanAction.plan_id)
        .where(PlanAction.public.is_(True), Plan.public.is_(True))
        .order_by(PlanAction.plan_id, PlanAction.number)
    )
    if plan_id is not None:
        query = query.where(PlanAction.plan_id == plan_id)
    return list(db.session.execute(query).scalars())


def _public_action_ids():
    return (
        sa.select(PlanAction.id)
        .join(Plan, Plan.id == PlanAction.plan_id)
        .where(PlanAction.public.is_(True), Plan.public.is_(True))
    )


def public_amendments() -> list[Amendment]:
    return list(
        db.session.execute(
            sa.select(Amendment)
            .where(
                Amendment.public.is_(True),
                Amendment.plan_action_id.in_(_public_action_ids()),
            )
            .order_by(Amendment.plan_action_id, Amendment.id)
        ).scalars()
    )


def _public_indicator_filter():
    return sa.and_(
        Indicator.public.is_(True),
        sa.or_(
            Indicator.plan_action_id.is_(None),
            Indicator.plan_action_id.in_(_public_action_ids()),
        ),
    )


def public_indicators() -> list[Indicator]:
    return list(
        db.session.execute(
            sa.select(Indicator)
            .where(_public_indicator_filter())
            .order_by(Indicator.name, Indicator.id)
        ).scalars()
    )


def public_measurements() -> list[Measurement]:
    public_ids = sa.select(Indicator.id).where(_public_indicator_filter())
    return list(
        db.session.execute(
            sa.select(Measurement)
            .where(Measurement.indicator_id.in_(public_ids))
            .order_by(Measurement.indicator_id, Measurement.measured_on)
        ).scalars()
    )


def public_meetings() -> list[Meeting]:
    return list(
        db.session.execute(
            sa.select(Meeting)
            .where(Meeting.public.is_(True))
            .order_by(Meeting.starts_at, Meeting.id)
        ).scalars()
    )


def public_documents() -> list[Document]:
    return list(
        db.session.execute(
            sa.select(Document)
            .where(Document.public.is_(True))
            .order_by(Document.doc_date, Document.id)
        ).scalars()
    )


def get_public(kind: str, record_id: int):
    """The public record of that kind and id, or None (unknown and private alike)."""
    finders = {
        "plan": public_plans,
        "document": public_documents,
        "indicator": public_indicators,
    }
    for record in finders[kind]():
        if record.id == record_id:
            return record
    return None
