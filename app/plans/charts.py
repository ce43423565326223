"""Indicator charts drawn on the server as SVG (no JavaScript, no third-party host).

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that a
screen reader announces; the page shows the same data as a table below it.
Colours are presentation attributes (not ``style``), so the page's
Content-Security-Policy needs nothing more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

from app.plans.money import format_number
from app.plans.trajectory import Point, Track, TrackStatus

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 72, 24, 24, 48
#: Colours with at least 3:1 contrast on white (WCAG 1.4.11, graphical objects).
INK = "#212529"
GRID = "#ced4da"
MEASURE = "#0056b3"
LINE = "#6c4b00"
TARGET = "#1e7e34"
OFF = "#a71d2a"


@dataclass
class ChartData:
    """What the chart and its table show, in date order."""

    name: str
    unit: str
    measurements: list[Point]
    track: Track

    @property
    def start(self) -> Point | None:
        return self.track.trajectory.start

    @property
    def end(self) -> Point | None:
        return self.track.trajectory.end


def value_text(value: Decimal | None, unit: str = "") -> str:
    """A value as the chart and table print it: "1 234,5 %"."""
    if value is None:
        return "—"
    text = format_number(Decimal(value), 2)
    return f"{text}\u202f{unit}" if unit else text


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of 10)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _date_ticks(first: date, last: date) -> list[date]:
    if (last - first).days > 3 * 365:
        years = range(first.year + (first > date(first.year, 1, 1)), last.year + 1)
        step = max(1, math.ceil(len(years) / 8))
        return [date(y, 1, 1) for y in years[::step]]
    ticks = []
    year, month = first.year, first.month
    span_months = (last.year - year) * 12 + last.month - month
    step = max(1, math.ceil(span_months / 6))
    if date(year, month, 1) < first:
        month += 1
    while True:
        year += (month - 1) // 12
        month = (month - 1) % 12 + 1
        day = date(year, month, 1)
        if day > last:
            break
        ticks.append(day)
        month += step
    return ticks or [first, last]


def _pts(points) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def describe(data: ChartData) -> str:
    """The chart in one paragraph (its ``<desc>``)."""
    unit = data.unit or ""
    parts = []
    if data.start:
        parts.append(
            f"Référence {value_text(data.start.value, unit)} le {data.start.on:%d/%m/%Y}."
        )
    if data.end:
        parts.append(
            f"Cible {value_text(data.end.value, unit)} au {data.end.on:%d/%m/%Y}."
        )
    n = len(data.measurements)
    if n:
        last = data.measurements[-1]
        parts.append(
            f"{n} mesure{'s' if n > 1 else ''}, la dernière "
            f"{value_text(last.value, unit)} le {last.on:%d/%m/%Y}."
        )
    else:
        parts.append("Aucune mesure.")
    parts.append(f"État : {data.track.status.label}.")
    if data.track.expected is not None:
        parts.append(
            f"Valeur attendue sur la trajectoire à cette date : "
            f"{value_text(data.track.expected, unit)}."
        )
    parts.append("Les mêmes données figurent dans le tableau sous le graphique.")
    return " ".join(parts)


def indicator_chart(data: ChartData, chart_id: str = "indicator-chart") -> Markup:
    """The indicator's chart: measurements, baseline, target and trajectory."""
    days = [p.on for p in data.measurements]
    values = [float(p.value) for p in data.measurements]
    for p in (data.start, data.end):
        if p is not None:
            days.append(p.on)
            values.append(float(p.value))
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    title = f"Évolution de l'indicateur « {data.name} »"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" '
        f'class="cdpl-chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{title_id} {desc_id}" font-family="sans-serif" '
        f'font-size="12">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(describe(data))}</desc>',
    ]
    if not days:
        out.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" '
            f'fill="{INK}">Aucune donnée à représenter.</text></svg>'
        )
        return Markup("".join(out))
    first, last = min(days), max(days)
    if first == last:
        first = date.fromordinal(first.toordinal() - 30)
        last = date.fromordinal(last.toordinal() + 30)
    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    if high == low:
        high = low + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = (last - first).days

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y(value) -> float:
        return TOP + plot_h * (1 - (float(value) - low) / (high - low))

    out.append('<g aria-hidden="true">')
    for tick in ticks:
        ty = y(tick)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(format_number(Decimal(str(tick)), 2))}</text>"
        )
    for day in _date_ticks(first, last):
        tx = x(day)
        label = f"{day.year}" if (last - first).days > 3 * 365 else f"{day:%m/%Y}"
        out.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{HEIGHT - BOTTOM}" '
            f'y2="{HEIGHT - BOTTOM + 5}" stroke="{INK}"/>'
            f'<text x="{tx:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
            f'fill="{INK}">{label}</text>'
        )
    out.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="{INK}"/>'
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" '
        f'stroke="{INK}"/>'
    )
    start, end = data.start, data.end
    if start is not None:
        line = [(x(start.on), y(start.value))]
        if end is not None:
            line.append((x(end.on), y(end.value)))
        stop = max(last, end.on if end else last)
        line.append((x(stop), y((end or start).value)))
        out.append(
            f'<polyline class="trajectory" points="{_pts(line)}" fill="none" '
            f'stroke="{LINE}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<rect class="baseline" x="{x(start.on) - 5:.1f}" '
            f'y="{y(start.value) - 5:.1f}" width="10" height="10" fill="{LINE}"/>'
        )
    if end is not None:
        cx, cy = x(end.on), y(end.value)
        out.append(
            f'<polygon class="target" points="{_pts([(cx, cy - 8), (cx + 8, cy), (cx, cy + 8), (cx - 8, cy)])}" '
            f'fill="{TARGET}"/>'
        )
    if data.measurements:
        line = [(x(p.on), y(p.value)) for p in data.measurements]
        out.append(
            f'<polyline class="measures" points="{_pts(line)}" fill="none" '
            f'stroke="{MEASURE}" stroke-width="2.5"/>'
        )
        off = data.track.status == TrackStatus.off_track
        for i, (px, py) in enumerate(line):
            is_last = i == len(line) - 1
            colour = OFF if (is_last and off) else MEASURE
            radius = 6 if is_last else 4
            out.append(
                f'<circle class="measure" cx="{px:.1f}" cy="{py:.1f}" r="{radius}" '
                f'fill="{colour}" stroke="#fff" stroke-width="1"/>'
            )
    out.append("</g>")
    out.append(_legend())
    out.append("</svg>")
    return Markup("".join(out))


def _legend() -> str:
    y0 = HEIGHT - 12
    items = [
        (
            f'<line x1="0" x2="18" y1="0" y2="0" stroke="{MEASURE}" stroke-width="2.5"/>',
            "Mesures",
        ),
        (
            f'<line x1="0" x2="18" y1="0" y2="0" stroke="{LINE}" stroke-width="2" stroke-dasharray="6 4"/>',
            "Trajectoire",
        ),
        (f'<rect x="4" y="-5" width="10" height="10" fill="{LINE}"/>', "Référence"),
        (f'<polygon points="9,-7 16,0 9,7 2,0" fill="{TARGET}"/>', "Cible"),
    ]
    out = ['<g class="legend" aria-hidden="true">']
    for i, (symbol, label) in enumerate(items):
        out.append(
            f'<g transform="translate({LEFT + i * 130},{y0})">{symbol}'
            f'<text x="24" y="4" fill="{INK}">{label}</text></g>'
        )
    out.append("</g>")
    return "".join(out)


def sparkline(points: list[Point], track: Track, name: str, unit: str = "") -> Markup:
    """A small line of the last measurements, for a table cell.

    Kept small on purpose (integer coordinates, one accessible name): the 100×
    plan page draws 2,000 of them.
    """
    w, h, pad = 96, 24, 3
    label = f"{name} : {track.status.label}"
    if points:
        last = points[-1]
        label += (
            f", {len(points)} dernières mesures, la dernière "
            f"{value_text(last.value, unit)} le {last.on:%d/%m/%Y}"
        )
    out = [
        f'<svg class="cdpl-sparkline" role="img" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" aria-label="{escape(label)}">'
    ]
    if points:
        values = [float(p.value) for p in points]
        low = min(values)
        rng = (max(values) - low) or 1.0
        step = (w - 2 * pad) / max(len(points) - 1, 1)
        scale = (h - 2 * pad) / rng
        coords = [
            (round(pad + i * step), round(h - pad - (v - low) * scale))
            for i, v in enumerate(values)
        ]
        if len(coords) > 1:
            line = " ".join(f"{x},{y}" for x, y in coords)
            out.append(
                f'<polyline points="{line}" fill="none" stroke="{MEASURE}" '
                f'stroke-width="1.5"/>'
            )
        colour = OFF if track.status == TrackStatus.off_track else MEASURE
        lx, ly = coords[-1]
        out.append(f'<circle cx="{lx}" cy="{ly}" r="2.5" fill="{colour}"/>')
    out.append("</svg>")
    return Markup("".join(out))
