"""Everything the plan page shows, in a fixed number of queries.

A plan of the benchmark holds 500 actions and 2,000 indicators with 50
measurements each: the page reads the actions, the amendment counts, the
budget amendments, the indicators, the last measurements of each indicator
(a window query) and the follow-up actions — seven queries whatever the size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models import OPEN_ACTION_STATUSES, Action, ActionStatus
from app.models.plans import (
    Amendment,
    AmendmentKind,
    AmendmentStatus,
    Indicator,
    Measurement,
    Plan,
    PlanAction,
    ProgressStatus,
)
from app.plans.charts import sparkline
from app.plans.money import amount_of_share, share_of
from app.plans.trajectory import Point, Track, TrackStatus, indicator_track

#: Measurements drawn in a sparkline.
SPARK_POINTS = 12
#: Open follow-up actions listed per plan action (the others are counted).
FOLLOWUPS_SHOWN = 3
#: Amendments that still weigh on the budget (a rejected one does not).
LIVE = tuple(s for s in AmendmentStatus if s != AmendmentStatus.rejected)
NO_AXIS = "Sans axe"


@dataclass
class IndicatorCell:
    indicator: Indicator
    track: Track
    points: list[Point]

    @property
    def spark(self):
        return sparkline(
            self.points, self.track, self.indicator.name, self.indicator.unit or ""
        )


@dataclass(frozen=True)
class FollowupLink:
    id: int
    title: str
    status: ActionStatus


@dataclass
class Followups:
    """A plan action's follow-up actions: the first open ones, and the counts."""

    shown: list[FollowupLink] = field(default_factory=list)
    open: int = 0
    total: int = 0

    def add(self, link: FollowupLink) -> None:
        self.total += 1
        if link.status in OPEN_ACTION_STATUSES:
            self.open += 1
            if len(self.shown) < FOLLOWUPS_SHOWN:
                self.shown.append(link)


@dataclass(frozen=True)
class AmendmentLink:
    id: int
    kind: AmendmentKind
    status: AmendmentStatus


@dataclass
class BudgetChange:
    """A proposed budget of an action against its current one."""

    action: PlanAction
    current: Decimal
    proposed: Decimal
    amendment_id: int
    #: The share typed in the amendment, when the budget comes from one.
    share: Decimal | None = None

    @property
    def delta(self) -> Decimal:
        return self.proposed - self.current


@dataclass
class Rebalancing:
    changes: list[BudgetChange]
    current_total: Decimal
    proposed_total: Decimal

    @property
    def delta(self) -> Decimal:
        return self.proposed_total - self.current_total


@dataclass
class ActionRow:
    action: PlanAction
    share: Decimal | None
    amendments: dict[AmendmentStatus, int]
    indicators: list[IndicatorCell]
    followups: Followups
    change: BudgetChange | None = None
    links: list[AmendmentLink] = field(default_factory=list)

    @property
    def amendment_total(self) -> int:
        return sum(self.amendments.values())

    def count(self, status: TrackStatus) -> int:
        return sum(1 for c in self.indicators if c.track.status == status)

    @property
    def percent(self) -> int | None:
        return progress_percent(self.action)


@dataclass
class AxisTotal:
    axis: str
    actions: int = 0
    budget: Decimal = Decimal(0)
    proposed: Decimal = Decimal(0)
    share: Decimal | None = None


@dataclass
class PlanPage:
    plan: Plan
    rows: list[ActionRow]
    axes: list[AxisTotal]
    total: Decimal
    rebalancing: Rebalancing
    weighted_progress: Decimal | None
    off_track: list[IndicatorCell]
    #: Counts over the whole plan (the filters only narrow the rows shown).
    action_count: int = 0
    indicator_counts: dict[TrackStatus, int] = field(default_factory=dict)
    amendment_counts: dict[AmendmentStatus, int] = field(default_factory=dict)
    axis_choices: list[str] = field(default_factory=list)


def progress_percent(action: PlanAction) -> int | None:
    """The action's progress in %: typed, or implied by its status (réalisée
    100, non démarrée 0); None when unknown or abandoned."""
    if action.progress_status == ProgressStatus.abandoned:
        return None
    if action.progress_percent is not None:
        return action.progress_percent
    if action.progress_status == ProgressStatus.done:
        return 100
    if action.progress_status == ProgressStatus.not_started:
        return 0
    return None


def weighted_progress(actions: list[PlanAction]) -> Decimal | None:
    """Progress of the plan weighted by budget over the actions whose budget and
    progress are known; None when no budget is known (never a division by zero)."""
    weight = Decimal(0)
    done = Decimal(0)
    for action in actions:
        pct = progress_percent(action)
        if pct is None or not action.budget:
            continue
        weight += action.budget
        done += action.budget * pct
    if weight == 0:
        return None
    return (done / weight).quantize(Decimal("0.1"))


def proposed_budget(
    amendment, total: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """(budget, share) an amendment proposes: its amount, else its share of the
    plan's total."""
    if amendment.proposed_budget is not None:
        return Decimal(amendment.proposed_budget), None
    if amendment.proposed_share is not None:
        return amount_of_share(
            amendment.proposed_share, total
        ), amendment.proposed_share
    return None, None


def plan_total(plan_id: int) -> Decimal:
    return Decimal(
        db.session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(PlanAction.budget), 0)).where(
                PlanAction.plan_id == plan_id
            )
        ).scalar_one()
    )


def latest_points(indicator_ids_query, limit: int = SPARK_POINTS):
    """{indicator id: (first point, last ``limit`` points)} in two window columns
    of one query."""
    newest = sa.func.row_number().over(
        partition_by=Measurement.indicator_id,
        order_by=Measurement.measured_on.desc(),
    )
    oldest = sa.func.row_number().over(
        partition_by=Measurement.indicator_id, order_by=Measurement.measured_on
    )
    inner = (
        sa.select(
            Measurement.indicator_id,
            Measurement.measured_on,
            Measurement.value,
            newest.label("newest"),
            oldest.label("oldest"),
        )
        .where(Measurement.indicator_id.in_(indicator_ids_query))
        .subquery()
    )
    stmt = (
        sa.select(
            inner.c.indicator_id, inner.c.measured_on, inner.c.value, inner.c.newest
        )
        .where(sa.or_(inner.c.newest <= limit, inner.c.oldest == 1))
        .order_by(inner.c.indicator_id, inner.c.measured_on)
    )
    firsts: dict[int, Point] = {}
    recent: dict[int, list[Point]] = defaultdict(list)
    for ind_id, on, value, rank in db.session.execute(stmt):
        point = Point(on, Decimal(value))
        firsts.setdefault(ind_id, point)
        if rank <= limit:
            recent[ind_id].append(point)
    return firsts, recent


def indicator_cells(
    indicators: list[Indicator], firsts, recent, today
) -> list[IndicatorCell]:
    cells = []
    for ind in indicators:
        points = recent.get(ind.id, [])
        first = firsts.get(ind.id)
        # The trajectory starts at the first measurement when no baseline is given.
        ref = (
            [first, *points]
            if first is not None and (not points or points[0] != first)
            else points
        )
        cells.append(IndicatorCell(ind, indicator_track(ind, ref, today), points))
    return cells


def build_plan_page(
    plan: Plan,
    axis: str | None = None,
    status: ProgressStatus | None = None,
    today: date | None = None,
) -> PlanPage:
    """The plan page; ``axis`` and ``status`` narrow the rows, never the totals."""
    today = today or date.today()
    actions = list(
        db.session.execute(
            sa.select(PlanAction)
            .where(PlanAction.plan_id == plan.id)
            .order_by(PlanAction.number)
        ).scalars()
    )
    by_id = {a.id: a for a in actions}
    total = sum((a.budget or Decimal(0) for a in actions), Decimal(0))

    # One pass over the plan's amendments: counts by status, links, and the
    # budget each live one proposes (the latest with an amount or a share wins).
    counts: dict[int, dict[AmendmentStatus, int]] = defaultdict(dict)
    plan_counts: dict[AmendmentStatus, int] = defaultdict(int)
    links: dict[int, list[AmendmentLink]] = defaultdict(list)
    changes: dict[int, BudgetChange] = {}
    for am_id, pa_id, kind, st, amount, share in db.session.execute(
        sa.select(
            Amendment.id,
            Amendment.plan_action_id,
            Amendment.kind,
            Amendment.status,
            Amendment.proposed_budget,
            Amendment.proposed_share,
        )
        .join(PlanAction, PlanAction.id == Amendment.plan_action_id)
        .where(PlanAction.plan_id == plan.id)
        .order_by(Amendment.id)
    ):
        counts[pa_id][st] = counts[pa_id].get(st, 0) + 1
        plan_counts[st] += 1
        links[pa_id].append(AmendmentLink(am_id, kind, st))
        if st not in LIVE or (amount is None and share is None):
            continue
        if amount is not None:
            proposed, typed_share = Decimal(amount), None
        else:
            proposed, typed_share = amount_of_share(share, total), Decimal(share)
        action = by_id[pa_id]
        changes[pa_id] = BudgetChange(
            action, action.budget or Decimal(0), proposed, am_id, typed_share
        )
    proposed_total = total + sum((c.delta for c in changes.values()), Decimal(0))
    rebalancing = Rebalancing(
        sorted(changes.values(), key=lambda c: c.action.number), total, proposed_total
    )

    plan_actions = sa.select(PlanAction.id).where(PlanAction.plan_id == plan.id)
    indicators = list(
        db.session.execute(
            sa.select(Indicator)
            .where(Indicator.plan_action_id.in_(plan_actions))
            .order_by(Indicator.name, Indicator.id)
        ).scalars()
    )
    firsts, recent = latest_points(
        sa.select(Indicator.id).where(Indicator.plan_action_id.in_(plan_actions))
    )
    cells_by_action: dict[int, list[IndicatorCell]] = defaultdict(list)
    all_cells = indicator_cells(indicators, firsts, recent, today)
    for cell in all_cells:
        cells_by_action[cell.indicator.plan_action_id].append(cell)

    # Plain rows, not records: the 100× plan has 10,000 follow-up actions.
    followups: dict[int, Followups] = defaultdict(Followups)
    for pa_id, act_id, title, act_status in db.session.execute(
        sa.select(Action.plan_action_id, Action.id, Action.title, Action.status)
        .where(Action.plan_action_id.in_(plan_actions))
        .order_by(Action.id)
    ):
        followups[pa_id].add(FollowupLink(act_id, title, act_status))

    axes: dict[str, AxisTotal] = {}
    for a in actions:
        key = a.axis or NO_AXIS
        at = axes.setdefault(key, AxisTotal(key))
        at.actions += 1
        at.budget += a.budget or Decimal(0)
        change = changes.get(a.id)
        at.proposed += change.proposed if change else (a.budget or Decimal(0))
    for at in axes.values():
        at.share = share_of(at.budget, total)

    shown = [
        a
        for a in actions
        if (axis is None or (a.axis or NO_AXIS) == axis)
        and (status is None or a.progress_status == status)
    ]
    rows = [
        ActionRow(
            a,
            share_of(a.budget, total),
            counts.get(a.id, {}),
            cells_by_action.get(a.id, []),
            followups.get(a.id) or Followups(),
            changes.get(a.id),
            links.get(a.id, []),
        )
        for a in shown
    ]
    track_counts = {s: 0 for s in TrackStatus}
    for cell in all_cells:
        track_counts[cell.track.status] += 1
    return PlanPage(
        plan=plan,
        rows=rows,
        axes=sorted(axes.values(), key=lambda t: (t.axis == NO_AXIS, t.axis)),
        total=total,
        rebalancing=rebalancing,
        weighted_progress=weighted_progress(actions),
        off_track=[c for c in all_cells if c.track.status == TrackStatus.off_track],
        action_count=len(actions),
        indicator_counts=track_counts,
        amendment_counts=dict(plan_counts),
        axis_choices=sorted({a.axis or NO_AXIS for a in actions}),
    )


@dataclass
class PlanSummary:
    plan: Plan
    actions: int
    total: Decimal


def plan_summaries() -> list[PlanSummary]:
    """Every plan with its number of actions and total budget (one query)."""
    stmt = (
        sa.select(
            Plan,
            sa.func.count(PlanAction.id),
            sa.func.coalesce(sa.func.sum(PlanAction.budget), 0),
        )
        .outerjoin(PlanAction, PlanAction.plan_id == Plan.id)
        .group_by(Plan.id)
        .order_by(Plan.name)
    )
    return [
        PlanSummary(plan, n, Decimal(total))
        for plan, n, total in db.session.execute(stmt)
    ]
