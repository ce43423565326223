"""The admin home: next meetings, actions to follow, meetings without minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.models import (
    Action,
    ActionStatus,
    Meeting,
    MeetingStatus,
    Member,
    WorkingGroup,
)
from tests.meetings_support import section_texts


@pytest.fixture
def board_data(db):
    group = WorkingGroup(name="Culture")
    now = datetime.now(UTC)
    today = date.today()

    def meeting(days, **kw):
        m = Meeting(group=group, starts_at=now + timedelta(days=days), **kw)
        db.session.add(m)
        return m

    data = {
        "next": meeting(3, place="Salle du conseil"),
        "next_cancelled": meeting(4, status=MeetingStatus.cancelled, place="Annulé"),
        "held_no_minutes": meeting(-10, status=MeetingStatus.held, place="Tenue"),
        "held_with_minutes": meeting(-20, status=MeetingStatus.held, exchanges="Ok"),
    }

    def action(title, **kw):
        a = Action(title=title, group=group, **kw)
        db.session.add(a)
        return a

    action("Action en retard", due_on=today - timedelta(days=1))
    action("Action dans 10 jours", due_on=today + timedelta(days=10))
    action("Action lointaine", due_on=today + timedelta(days=40))
    action("Action dès que possible", asap=True)
    action(
        "Action faite en retard",
        due_on=today - timedelta(days=3),
        status=ActionStatus.done,
    )
    db.session.commit()
    return data


def test_dashboard_lists_what_needs_doing(admin_client, board_data):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    s = section_texts(response.get_data(as_text=True))
    assert "Salle du conseil" in s["dash-next-meetings"]
    assert "Annulé" not in s["dash-next-meetings"]
    held = board_data["held_no_minutes"]
    assert str(held) in s["dash-without-minutes"]
    assert str(board_data["held_with_minutes"]) not in s["dash-without-minutes"]
    actions = s["dash-actions"]
    overdue = actions.split("En retard")[1].split("À échéance")[0]
    soon = actions.split("À échéance dans les 14 jours")[1].split("Dès que possible")[0]
    asap = actions.split("Dès que possible (")[1]
    assert "Action en retard" in overdue and "Action dans 10 jours" not in overdue
    assert "Action dans 10 jours" in soon
    assert "Action dès que possible" in asap
    assert "Action lointaine" not in actions
    assert "Action faite en retard" not in actions


def test_dashboard_stays_small_with_thousands_of_open_actions(admin_client, db):
    """Each list is cut to 20 rows with its total; 2,000 overdue actions cost the
    same number of queries as 21."""
    import sqlalchemy as sa

    from app.extensions import db as _db

    group = WorkingGroup(name="Mobilités")
    owner = Member(first_name="Aline", last_name="Porte")
    db.session.add_all([group, owner])
    today = date.today()

    def add_overdue(start, stop):
        for n in range(start, stop):
            db.session.add(
                Action(
                    title=f"Retard {n}",
                    group=group,
                    owner=owner,
                    due_on=today - timedelta(days=n + 1),
                )
            )
        db.session.commit()

    def dashboard():
        statements = []

        def record(conn, cursor, statement, *args):
            # The dashboard's own queries: the session check reads the account
            # again only after a commit of the test's session (which shares
            # the request's identity map), not at each visit.
            if "auth_session" not in statement and "user_account" not in statement:
                statements.append(statement)

        sa.event.listen(_db.engine, "before_cursor_execute", record)
        try:
            html = admin_client.get("/admin/").get_data(as_text=True)
        finally:
            sa.event.remove(_db.engine, "before_cursor_execute", record)
        return html, len(statements)

    add_overdue(0, 21)
    # The first visit also reads the indicators for the off-track list, which
    # the process then keeps while no indicator changes (actions do not).
    dashboard()
    html, few = dashboard()
    assert "En retard (21)" in html
    assert html.count("Retard ") == 20
    add_overdue(21, 2000)
    html, many = dashboard()
    assert "En retard (2000)" in html
    assert html.count("Retard ") == 20
    assert "Les 20 premières sont affichées" in html
    # Each list reads its rows with their owner and group joined (one query,
    # not three), and counts only when cut.
    assert many == few <= 9, (few, many)
