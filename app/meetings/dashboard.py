"""What the admin home page shows: the next meetings and what needs doing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import OPEN_ACTION_STATUSES, Action, Meeting, MeetingStatus
from app.models.base import utcnow

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


def build_dashboard(limit: int = 10) -> Dashboard:
    now = utcnow()
    today = date.today()
    board = Dashboard(today=today)
    board.next_meetings = list(
        db.session.execute(
            sa.select(Meeting)
            .options(selectinload(Meeting.group))
            .where(Meeting.starts_at >= now, Meeting.status != MeetingStatus.cancelled)
            .order_by(Meeting.starts_at)
            .limit(limit)
        ).scalars()
    )
    open_actions = (
        sa.select(Action)
        .options(selectinload(Action.owner), selectinload(Action.group))
        .where(Action.status.in_(OPEN_ACTION_STATUSES))
    )
    soon = today + timedelta(days=DUE_SOON_DAYS)
    dated = db.session.execute(
        open_actions.where(Action.due_on.is_not(None), Action.due_on <= soon).order_by(
            Action.due_on, Action.id
        )
    ).scalars()
    for action in dated:
        (board.overdue if action.due_on < today else board.due_soon).append(action)
    board.asap = list(
        db.session.execute(
            open_actions.where(Action.asap.is_(True)).order_by(Action.id)
        ).scalars()
    )
    no_text = sa.or_(
        Meeting.exchanges.is_(None),
        sa.func.length(sa.func.trim(Meeting.exchanges)) == 0,
    )
    no_context = sa.or_(
        Meeting.context.is_(None), sa.func.length(sa.func.trim(Meeting.context)) == 0
    )
    board.without_minutes = list(
        db.session.execute(
            sa.select(Meeting)
            .options(selectinload(Meeting.group))
            .where(
                sa.or_(Meeting.status == MeetingStatus.held, Meeting.starts_at < now),
                Meeting.status != MeetingStatus.cancelled,
                no_text,
                no_context,
            )
            .order_by(Meeting.starts_at.desc())
            .limit(limit * 2)
        ).scalars()
    )
    return board
