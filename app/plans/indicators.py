"""The indicator page (chart and its table) and the off-track list of the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models.opendata import OpendataState
from app.models.plans import Indicator, Measurement
from app.plans.charts import ChartData, indicator_chart
from app.plans.page import IndicatorCell, indicator_cells
from app.plans.trajectory import Point, Track, TrackStatus, indicator_track


@dataclass
class ChartRow:
    on: date
    kind: str
    value: Decimal
    expected: Decimal | None = None
    comment: str | None = None


@dataclass
class IndicatorPage:
    indicator: Indicator
    track: Track
    svg: Markup
    #: The chart's data as table rows, in date order.
    rows: list[ChartRow]


def build_indicator_page(
    indicator: Indicator, today: date | None = None
) -> IndicatorPage:
    """Chart, status and data table of one indicator."""
    measurements = list(
        db.session.execute(
            sa.select(Measurement)
            .where(Measurement.indicator_id == indicator.id)
            .order_by(Measurement.measured_on)
        ).scalars()
    )
    points = [Point(m.measured_on, Decimal(m.value)) for m in measurements]
    track = indicator_track(indicator, points, today)
    line = track.trajectory
    rows: list[ChartRow] = []
    if line.start is not None and (not points or line.start != points[0]):
        rows.append(ChartRow(line.start.on, "Référence", line.start.value))
    for m, p in zip(measurements, points, strict=True):
        rows.append(ChartRow(p.on, "Mesure", p.value, line.expected(p.on), m.comment))
    if line.end is not None:
        rows.append(ChartRow(line.end.on, "Cible", line.end.value))
    rows.sort(key=lambda r: (r.on, r.kind != "Référence", r.kind == "Cible"))
    data = ChartData(indicator.name, indicator.unit or "", points, track)
    return IndicatorPage(indicator, track, indicator_chart(data), rows)


#: Key of ``app.extensions``: this process's last off-track list and its key.
_OFF_TRACK = "cdpl_off_track"


def off_track_indicators(
    limit: int = 20, today: date | None = None
) -> tuple[list[IndicatorCell], int]:
    """The off-track indicators of every plan (first ``limit``) and their number.

    The dashboard asks on every visit and the answer needs every indicator's
    track (2,000 indicators and 100,000 measurements at 100×: about 0.1 s), so
    each process keeps its last answer, keyed on the day and on the stamp that
    any commit writing an indicator or a measurement renews, in the same
    transaction (``opendata_state``, kept by ``app.opendata.freshness`` for
    every table the open-data package reads, these two included; imports
    written in bulk too). One primary-key read tells whether it still holds;
    a change committed by another process is seen at the next visit.
    """
    today = today or date.today()
    stamp = db.session.execute(
        sa.select(OpendataState.stamp).where(OpendataState.id == 1)
    ).scalar()
    key = (stamp, today, limit)
    held = current_app.extensions.get(_OFF_TRACK)
    if stamp is not None and held is not None and held[0] == key:
        return held[1]
    found = _off_track(limit, today)
    if stamp is not None:  # no stamp yet: nothing says when data change
        current_app.extensions[_OFF_TRACK] = (key, found)
    return found


def _off_track(limit: int, today: date) -> tuple[list[IndicatorCell], int]:
    """Every indicator's track from one query of plain rows (what the track reads, with the
    first and last measurement found by two seeks each in the (indicator,
    date) unique index), no ORM object: the rows outlive the session in the
    process's copy. (Sorting all measurements in a window query, with the
    indicators as objects, took 0.3 s at 100× on SQLite.)
    """
    first = aliased(Measurement)
    last = aliased(Measurement)

    def end(fn):
        return (
            sa.select(fn(Measurement.measured_on))
            .where(Measurement.indicator_id == Indicator.id)
            .scalar_subquery()
        )

    rows = db.session.execute(
        sa.select(
            Indicator.id,
            Indicator.name,
            Indicator.unit,
            Indicator.direction,
            Indicator.baseline,
            Indicator.baseline_on,
            Indicator.target,
            Indicator.target_on,
            first.measured_on.label("first_on"),
            first.value.label("first_value"),
            last.measured_on.label("last_on"),
            last.value.label("last_value"),
        )
        .select_from(Indicator)
        .outerjoin(
            first,
            (first.indicator_id == Indicator.id)
            & (first.measured_on == end(sa.func.min)),
        )
        .outerjoin(
            last,
            (last.indicator_id == Indicator.id)
            & (last.measured_on == end(sa.func.max)),
        )
        .order_by(Indicator.name, Indicator.id)
    ).all()
    firsts: dict[int, Point] = {}
    recent: dict[int, list[Point]] = {}
    for row in rows:
        if row.first_on is not None:
            firsts[row.id] = Point(row.first_on, Decimal(row.first_value))
            recent[row.id] = [Point(row.last_on, Decimal(row.last_value))]
    # The rows stand for the indicators: the track and the page read the same
    # attribute names.
    cells = [
        c
        for c in indicator_cells(rows, firsts, recent, today)
        if c.track.status == TrackStatus.off_track
    ]
    return cells[:limit], len(cells)
