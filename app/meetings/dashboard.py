"""What the admin home page shows: the next meetings and what needs doing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    OPEN_ACTION_STATUSES,
    Action,
    Meeting,
    MeetingStatus,
    Member,
    WorkingGroup,
)
from app.models.base import utcnow
from app.models.meetings import WITHOUT_MINUTES_SQL

#: Actions due within this many days are listed with the overdue ones.
DUE_SOON_DAYS = 14


@dataclass
class Dashboard:
    next_meetings: list[Meeting] = field(default_factory=list)
    overdue: list[Action] = field(default_factory=list)
    due_soon: list[Action] = field(default_factory=list)
    asap: list[Action] = field(default_factory=list)
    without_minutes: list[Meeting] = field(default_factory=list)
    today: date = field(default_factory=date.today)
    #: How many rows each list would hold without its display limit.
    totals: dict[str, int] = field(default_factory=dict)
    #: No group, member or meeting yet: the page says where to start.
    empty: bool = False


def _count(model, stmt) -> int:
    """The rows of ``model`` meeting ``stmt``'s conditions: counted on the
    table itself, not on a subquery of every column (on PostgreSQL, 1.9 →
    0.5 ms for 2,000 overdue actions at 100×)."""
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(stmt.whereclause)
    ).scalar_one()


def build_dashboard(limit: int = 10, action_limit: int = 20) -> Dashboard:
    """The home page's lists, each cut to a few rows (with its total): a council
    with years of history may have thousands of open actions."""
    now = utcnow()
    today = date.today()
    board = Dashboard(today=today)
    board.empty = not db.session.execute(
        sa.select(
            sa.exists(sa.select(WorkingGroup.id))
            | sa.exists(sa.select(Member.id))
            | sa.exists(sa.select(Meeting.id))
        )
    ).scalar_one()
    board.next_meetings = list(
        db.session.execute(
            sa.select(Meeting)
            .options(joinedload(Meeting.group))
            .where(Meeting.starts_at >= now, Meeting.status != MeetingStatus.cancelled)
            .order_by(Meeting.starts_at)
            .limit(limit)
        ).scalars()
    )
    open_actions = (
        sa.select(Action)
        # Owner and group joined to the rows (many-to-one): one query per
        # list instead of three, on the page every staff member opens first.
        .options(joinedload(Action.owner), joinedload(Action.group))
        .where(Action.status.in_(OPEN_ACTION_STATUSES))
    )
    soon = today + timedelta(days=DUE_SOON_DAYS)
    lists = {
        "overdue": open_actions.where(Action.due_on < today).order_by(
            Action.due_on, Action.id
        ),
        "due_soon": open_actions.where(
            Action.due_on >= today, Action.due_on <= soon
        ).order_by(Action.due_on, Action.id),
        "asap": open_actions.where(Action.asap.is_(True)).order_by(Action.id),
    }
    for name, stmt in lists.items():
        rows = list(db.session.execute(stmt.limit(action_limit)).scalars())
        setattr(board, name, rows)
        board.totals[name] = (
            len(rows) if len(rows) < action_limit else _count(Action, stmt)
        )
    without = (
        sa.select(Meeting)
        .options(joinedload(Meeting.group))
        .where(
            # The partial index ix_meeting_without_minutes serves this condition.
            sa.text(WITHOUT_MINUTES_SQL),
            # Only meetings marked held: a "Prévue" one, even past, is never
            # "tenue sans compte rendu". Written as a CASE so that SQLite keeps
            # the partial index (ordered by date) rather than the status index.
            sa.case((Meeting.status == MeetingStatus.held, 1), else_=0) == 1,
        )
        .order_by(Meeting.starts_at.desc())
    )
    board.without_minutes = list(db.session.execute(without.limit(limit * 2)).scalars())
    board.totals["without_minutes"] = (
        len(board.without_minutes)
        if len(board.without_minutes) < limit * 2
        else _count(Meeting, without)
    )
    return board
