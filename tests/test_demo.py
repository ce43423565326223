"""The demo command loads the meeting of 16 April 2019, idempotently."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db as _db
from app.models import AttendanceStatus, Meeting


def _counts():
    return {
        t.name: _db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
        for t in _db.metadata.sorted_tables
    }


def test_demo_command_is_idempotent(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "chargées" in first.output
    before = _counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "rien à faire" in second.output
    assert _counts() == before
    assert before["meeting"] == 2 and before["amendment"] == 3


def test_demo_meeting_shows_six_present_and_three_excused(admin_client, demo):
    meeting = (
        demo.session.execute(sa.select(Meeting).order_by(Meeting.starts_at))
        .scalars()
        .first()
    )
    statuses = [a.status for a in meeting.attendances]
    assert statuses.count(AttendanceStatus.present) == 6
    assert statuses.count(AttendanceStatus.excused) == 3
    html = admin_client.get(f"/admin/meeting/details/?id={meeting.id}").get_data(
        as_text=True
    )
    assert "Présent·e (6)" in html
    assert "Excusé·e (3)" in html
    assert "Cougoulat" in html and "Le Berre" in html
    assert meeting.local_start.strftime("%d/%m/%Y %H:%M") == "16/04/2019 12:30"
    assert (
        meeting.next_meeting.local_start.strftime("%d/%m/%Y %H:%M")
        == "11/06/2019 12:30"
    )
