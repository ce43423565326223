"""The source's plan as records, for the plan tests (issue 16)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.models import Amendment, Indicator, Measurement, Plan, PlanAction


def stn(db):
    """The STN of the demo and its actions by number."""
    plan = db.session.execute(sa.select(Plan).filter_by(short_name="STN")).scalar_one()
    actions = {
        a.number: a
        for a in db.session.execute(
            sa.select(PlanAction).filter_by(plan_id=plan.id)
        ).scalars()
    }
    return plan, actions


def amendment_of(db, action) -> Amendment:
    return db.session.execute(
        sa.select(Amendment).filter_by(plan_action_id=action.id)
    ).scalar_one()


def indicator_with_five_measurements(
    db, action, last=Decimal(50), start: int | None = None
) -> Indicator:
    """10 → 50 over four years from 1 January of ``start`` (four years ago by
    default, so that the last measurement is less than a year old), measured five
    times on the trajectory except the last, whose value decides."""
    year = start if start is not None else date.today().year - 4
    indicator = Indicator(
        plan_action=action,
        name="Lieux de médiation numérique",
        unit="lieux",
        baseline=Decimal(10),
        baseline_on=date(year, 1, 1),
        target=Decimal(50),
        target_on=date(year + 4, 1, 1),
    )
    db.session.add(indicator)
    for on, value in (
        (date(year + 1, 1, 1), Decimal(20)),
        (date(year + 2, 1, 1), Decimal(30)),
        (date(year + 3, 1, 1), Decimal(40)),
        (date(year + 3, 7, 1), Decimal(46)),
        (date(year + 4, 1, 1), last),
    ):
        db.session.add(Measurement(indicator=indicator, measured_on=on, value=value))
    db.session.commit()
    return indicator
