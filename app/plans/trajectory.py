"""Is an indicator on track? The straight line from its baseline to its target.

The trajectory starts at the baseline (value and date; the first measurement
stands in when the baseline is not given) and ends at the target on its date;
after the target date it stays at the target. The last measurement is **off
track** when it lies on the wrong side of the line for the indicator's
direction (below it for "hausse", above it for "baisse"), **no data** when there
is no measurement in the last year. Without a target the line stays at the
baseline: an indicator that should rise is off track once it falls below its
starting value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app.models.base import LabelledEnum
from app.models.plans import Direction

#: A measurement older than this says nothing about today.
STALE_AFTER = timedelta(days=365)


class TrackStatus(LabelledEnum):
    on_track = "Sur la trajectoire"
    off_track = "Hors trajectoire"
    no_data = "Sans donnée"


@dataclass(frozen=True)
class Point:
    on: date
    value: Decimal


@dataclass
class Trajectory:
    """The reference line; ``start`` is None when nothing anchors it."""

    start: Point | None
    end: Point | None

    def expected(self, on: date) -> Decimal | None:
        """The value the line gives on a day (None without a start)."""
        if self.start is None:
            return None
        if self.end is None or on <= self.start.on:
            return self.start.value
        if on >= self.end.on:
            return self.end.value
        span = (self.end.on - self.start.on).days
        if span <= 0:
            return self.end.value
        elapsed = (on - self.start.on).days
        return self.start.value + (self.end.value - self.start.value) * elapsed / span


@dataclass
class Track:
    status: TrackStatus
    trajectory: Trajectory
    last: Point | None = None
    expected: Decimal | None = None
    #: One French sentence saying why (shown next to the status).
    reason: str = ""

    @property
    def css(self) -> str:
        return {
            TrackStatus.on_track: "success",
            TrackStatus.off_track: "danger",
            TrackStatus.no_data: "secondary",
        }[self.status]


def trajectory_of(
    baseline: Decimal | None,
    baseline_on: date | None,
    target: Decimal | None,
    target_on: date | None,
    first: Point | None = None,
) -> Trajectory:
    """The line from the baseline (or the first measurement) to the target."""
    start = None
    if baseline is not None and baseline_on is not None:
        start = Point(baseline_on, Decimal(baseline))
    elif first is not None:
        start = Point(baseline_on or first.on, Decimal(first.value))
        if baseline is not None:
            start = Point(start.on, Decimal(baseline))
    end = None
    if target is not None and target_on is not None:
        end = Point(target_on, Decimal(target))
    if start is not None and end is not None and end.on < start.on:
        end = None
    return Trajectory(start, end)


def track(
    direction: Direction,
    trajectory: Trajectory,
    last: Point | None,
    today: date,
) -> Track:
    """Where the last measurement stands against the trajectory, as of ``today``."""
    if last is None:
        return Track(TrackStatus.no_data, trajectory, reason="Aucune mesure.")
    if today - last.on > STALE_AFTER:
        return Track(
            TrackStatus.no_data,
            trajectory,
            last,
            reason=f"Dernière mesure le {last.on:%d/%m/%Y}, il y a plus d'un an.",
        )
    expected = trajectory.expected(last.on)
    if expected is None:
        return Track(TrackStatus.on_track, trajectory, last, reason="")
    wrong_side = (
        last.value < expected if direction == Direction.up else last.value > expected
    )
    if wrong_side:
        word = "sous" if direction == Direction.up else "au-dessus de"
        return Track(
            TrackStatus.off_track,
            trajectory,
            last,
            expected,
            reason=f"Dernière mesure {word} la trajectoire attendue.",
        )
    return Track(
        TrackStatus.on_track,
        trajectory,
        last,
        expected,
        reason="Dernière mesure du bon côté de la trajectoire.",
    )


def indicator_track(indicator, points: list[Point], today: date | None = None) -> Track:
    """The track of an indicator given its measurements in date order."""
    today = today or date.today()
    line = trajectory_of(
        indicator.baseline,
        indicator.baseline_on,
        indicator.target,
        indicator.target_on,
        points[0] if points else None,
    )
    return track(indicator.direction, line, points[-1] if points else None, today)
