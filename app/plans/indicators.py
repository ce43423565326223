"""The indicator page (chart and its table) and the off-track list of the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from markupsafe import Markup

from app.extensions import db
from app.models.plans import Indicator, Measurement
from app.plans.charts import ChartData, indicator_chart
from app.plans.page import IndicatorCell, indicator_cells, latest_points
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


def off_track_indicators(
    limit: int = 20, today: date | None = None
) -> tuple[list[IndicatorCell], int]:
    """The off-track indicators of every plan (first ``limit``) and their number."""
    today = today or date.today()
    indicators = list(
        db.session.execute(
            sa.select(Indicator).order_by(Indicator.name, Indicator.id)
        ).scalars()
    )
    firsts, recent = latest_points(sa.select(Indicator.id), limit=1)
    cells = [
        c
        for c in indicator_cells(indicators, firsts, recent, today)
        if c.track.status == TrackStatus.off_track
    ]
    return cells[:limit], len(cells)
