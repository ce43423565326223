"""On track, off track, no data: the straight line from baseline to target (issue 16)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from app.models.plans import Direction
from app.plans.trajectory import Point, TrackStatus, indicator_track, trajectory_of

D = Decimal


def _indicator(direction=Direction.up, **values):
    values = {
        "baseline": D(10),
        "baseline_on": date(2020, 1, 1),
        "target": D(50),
        "target_on": date(2024, 1, 1),
        **values,
    }
    return SimpleNamespace(direction=direction, **values)


FIVE = [
    Point(date(2021, 1, 1), D(20)),
    Point(date(2022, 1, 1), D(30)),
    Point(date(2023, 1, 1), D(40)),
    Point(date(2023, 7, 1), D(46)),
    Point(date(2024, 1, 1), D(50)),
]


def test_the_trajectory_is_a_straight_line_then_stays_at_the_target():
    line = trajectory_of(D(10), date(2020, 1, 1), D(50), date(2024, 1, 1))
    assert line.expected(date(2020, 1, 1)) == D(10)
    assert round(line.expected(date(2022, 1, 1)), 1) == D("30.0")
    assert line.expected(date(2030, 1, 1)) == D(50)


def test_five_measurements_on_the_line_are_on_track():
    track = indicator_track(_indicator(), FIVE, today=date(2024, 2, 1))
    assert track.status == TrackStatus.on_track
    assert track.last == FIVE[-1]


def test_a_last_measurement_below_a_rising_line_is_off_track():
    points = [*FIVE[:4], Point(date(2024, 1, 1), D(41))]
    track = indicator_track(_indicator(), points, today=date(2024, 2, 1))
    assert track.status == TrackStatus.off_track
    assert track.expected == D(50)
    assert "sous la trajectoire" in track.reason


def test_for_a_falling_indicator_the_wrong_side_is_above():
    falling = _indicator(Direction.down, baseline=D(100), target=D(60))
    below = [Point(date(2022, 1, 1), D(70))]
    above = [Point(date(2022, 1, 1), D(90))]
    today = date(2022, 6, 1)
    assert indicator_track(falling, below, today).status == TrackStatus.on_track
    track = indicator_track(falling, above, today)
    assert track.status == TrackStatus.off_track
    assert "au-dessus" in track.reason


def test_nothing_measured_for_more_than_a_year_is_no_data():
    assert indicator_track(_indicator(), [], date(2024, 1, 1)).status == (
        TrackStatus.no_data
    )
    track = indicator_track(_indicator(), FIVE, today=date(2025, 1, 2))
    assert track.status == TrackStatus.no_data
    assert "plus d'un an" in track.reason
    assert indicator_track(_indicator(), FIVE, date(2024, 12, 31)).status == (
        TrackStatus.on_track
    )


def test_without_a_baseline_the_first_measurement_starts_the_line():
    indicator = _indicator(baseline=None, baseline_on=None)
    points = [Point(date(2020, 1, 1), D(10)), Point(date(2022, 1, 1), D(20))]
    track = indicator_track(indicator, points, date(2022, 2, 1))
    assert track.trajectory.start == points[0]
    assert track.status == TrackStatus.off_track  # 20 < 30 expected
    no_target = _indicator(target=None, target_on=None)
    falling = [Point(date(2021, 1, 1), D(8))]
    assert indicator_track(no_target, falling, date(2021, 2, 1)).status == (
        TrackStatus.off_track
    )
