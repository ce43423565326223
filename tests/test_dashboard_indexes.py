"""The dashboard's lists are read through indexes (issue 21), not by scanning.

At 100x the council, "meetings held without minutes" read every meeting's
text (41-44 ms of the page's ~50 ms of SQL) and the count of open "asap"
actions read every asap action. These tests read SQLite's query plan of the
statements the dashboard really runs: SQLite uses a partial index only when
the query repeats the index's condition, which a rewrite of either side
silently breaks. (PostgreSQL proves the implication itself, and its planner
rightly ignores indexes on the tiny test tables.)
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.meetings.dashboard import build_dashboard
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(
    bool(PG_URL), reason="reads SQLite's query plan (EXPLAIN QUERY PLAN)"
)


def _plans(db) -> dict[str, str]:
    """Each statement the dashboard runs, with SQLite's plan for it."""
    seen: list[tuple[str, tuple]] = []

    def log(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", log)
    try:
        # No row shown: every list also runs its count (the empty tables of
        # a test would otherwise never reach the display limit).
        build_dashboard(limit=0, action_limit=0)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", log)
    raw = db.session.connection().connection.dbapi_connection
    plans = {}
    for statement, parameters in seen:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        rows = raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
        plans[statement] = " | ".join(row[-1] for row in rows)
    return plans


def test_meetings_without_minutes_read_from_the_partial_index(db):
    plans = _plans(db)
    without = [p for s, p in plans.items() if "trim(" in s and "meeting" in s]
    assert len(without) == 2  # the rows shown, and their total
    assert all("ix_meeting_without_minutes" in p for p in without), without


def test_open_asap_actions_read_from_the_index_alone(db):
    plans = _plans(db)
    asap = [p for s, p in plans.items() if "action.asap IS 1" in s]
    assert len(asap) == 2  # the rows shown, and their total
    assert all("INDEX ix_action_asap_status" in p for p in asap), asap
    assert any("COVERING INDEX ix_action_asap_status" in p for p in asap), asap
