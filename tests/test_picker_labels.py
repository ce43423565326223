"""Pickers find a record by the words of the label they show (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.models import Amendment, Meeting, MeetingKind
from app.search import label_condition


def picked(client, view: str, field: str, text: str) -> list[str]:
    response = client.get(
        f"/admin/{view}/ajax/lookup/", query_string={"name": field, "query": text}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(label for _id, label in response.get_json())


APRIL = "Innovation sociale numérique — 16/04/2019"
JUNE = "Innovation sociale numérique — 11/06/2019"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("innovation 11/06", [JUNE]),
        ("numérique 2019", [APRIL, JUNE]),
        ("NUMERIQUE 2019", [APRIL, JUNE]),
        ("Innov 16/04/2019", [APRIL]),
        ("sociale juin", [JUNE]),
        ("06/2019", [JUNE]),
        ("innovation 2020", []),
        ("innovation 12/06", []),
        # The meeting's own fields are still searched (its objective).
        ("ajustement", [APRIL]),
    ],
)
def test_meeting_picker_matches_its_label(demo, admin_client, text, expected):
    assert picked(admin_client, "amendment", "meeting", text) == sorted(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STN action 7", ["STN action 7"]),
        ("stn 7", ["STN action 7"]),
        ("7", ["STN action 7"]),
        ("schéma 12", ["STN action 12"]),
        ("stn 1", []),
        (
            "territorial",
            ["STN action 12", "STN action 13", "STN action 14", "STN action 7"],
        ),
    ],
)
def test_plan_action_picker_matches_its_label(demo, admin_client, text, expected):
    assert picked(admin_client, "amendment", "plan_action", text) == sorted(expected)


def test_day_is_the_paris_day(db, admin_client):
    """00:30 in Paris on 12/06 is 22:30 UTC on 11/06: shown and found as 12/06;
    a meeting without a group is found by its kind, as shown."""
    db.session.add(
        Meeting(
            kind=MeetingKind.bureau,
            starts_at=datetime(2019, 6, 11, 22, 30, tzinfo=UTC),
        )
    )
    db.session.commit()
    assert picked(admin_client, "amendment", "meeting", "bureau 12/06/2019") == [
        "Bureau — 12/06/2019"
    ]
    assert picked(admin_client, "amendment", "meeting", "11/06/2019") == []
    assert picked(admin_client, "amendment", "meeting", "plénière") == []


def test_labels_are_followed_through_two_records(demo):
    """An amendment is shown "Compléter STN action 12": its kind, its action's
    plan and number (no admin picker lists amendments yet: the service)."""
    session = demo.session
    for text, number in (
        ("stn 12", 12),
        ("compléter schéma 13", 13),
        ("REMPLACER 12", 12),
    ):
        rows = session.execute(
            sa.select(Amendment).where(label_condition(session, Amendment, text))
        ).scalars()
        labels = [str(a) for a in rows]
        assert labels and all(label.endswith(f"action {number}") for label in labels)
    nothing = label_condition(session, Amendment, "supprimer stn 7")
    assert session.execute(sa.select(Amendment.id).where(nothing)).all() == []


def test_a_date_column_matches_days_months_and_years(full_data):
    """A ``Date`` part (no time zone): the measurement of 01/01/2020 of
    ``full_data`` by its day, its month without the year and its year."""
    from app.models import Measurement
    from app.search.labels import _date_condition

    session = full_data.session
    column = Measurement.measured_on
    for day, month, year, found in (
        (1, 1, 2020, 1),
        (None, 1, None, 1),
        (None, None, 2020, 1),
        (2, 1, 2020, 0),
        (None, 2, None, 0),
        (31, 2, 2020, 0),  # no such day: nothing, not an error
    ):
        stmt = sa.select(sa.func.count()).where(
            _date_condition(session, column, day, month, year)
        )
        assert session.execute(stmt).scalar() == found, (day, month, year)
