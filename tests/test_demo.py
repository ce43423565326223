"""The demo command loads the meeting of 16 April 2019, idempotently."""

from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa

from app.demo import load_demo
from app.extensions import db as _db
from app.models import (
    AttendanceStatus,
    ChangeKind,
    ChangeLog,
    Meeting,
    Member,
    WorkingGroup,
)
from tests.test_cli import COMMAND, tool_env

# The meeting as a person enters it through the screens (a pytest fixture).
from tests.test_meetings_source_document import entered  # noqa: F401


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


# --- the installed command on a database that already holds the records ------


def _table_counts_and_log(uri: str) -> tuple[dict[str, int], int]:
    """Row counts of every table and the history's last id, read afresh."""
    engine = sa.create_engine(uri.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            counts = {
                t.name: conn.execute(
                    sa.select(sa.func.count()).select_from(t)
                ).scalar_one()
                for t in _db.metadata.sorted_tables
            }
            last = conn.execute(sa.select(sa.func.max(ChangeLog.id))).scalar()
    finally:
        engine.dispose()
    return counts, last or 0


def _run_installed_demo(tmp_path, uri: str):
    """``cdpl-gestion demo`` in a subprocess, on the test database."""
    env = tool_env(tmp_path / "instance") | {"DATABASE_URL": uri}
    return subprocess.run(
        [COMMAND, "demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_installed_demo_twice_changes_nothing_the_second_time(app, db, tmp_path):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    first = _run_installed_demo(tmp_path, uri)
    assert first.returncode == 0, first.stderr
    assert "chargées" in first.stdout
    before = _table_counts_and_log(uri)
    assert before[0]["meeting"] == 2 and before[1] > 0
    second = _run_installed_demo(tmp_path, uri)
    assert second.returncode == 0, second.stderr
    assert "rien à faire" in second.stdout
    assert _table_counts_and_log(uri) == before


@pytest.mark.usefixtures("entered")
def test_installed_demo_leaves_a_meeting_entered_through_the_screens(app, db, tmp_path):
    """A person entered the meeting of 16 April by hand (its time, its own wording
    of the actions): the demo adds no record, no near-duplicate action and writes
    no history entry."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    before = _table_counts_and_log(uri)
    result = _run_installed_demo(tmp_path, uri)
    assert result.returncode == 0, result.stderr
    assert "rien à faire" in result.stdout
    assert _table_counts_and_log(uri) == before


def test_demo_reuses_the_group_and_members_a_person_entered(admin_client, db):
    """Group and members entered by hand, names typed with other accents and case:
    the demo adds the meeting around them, never a second "Éric Soudy"."""
    for first, last in (("Éric", "SOUDY"), ("Solenn", "Bréhaut")):
        response = admin_client.post(
            "/admin/member/new/",
            data={"first_name": first, "last_name": last, "role": "member"},
        )
        assert response.status_code == 302
    response = admin_client.post(
        "/admin/working_group/new/",
        data={"name": "innovation sociale numérique ", "active": "y"},
    )
    assert response.status_code == 302
    db.session.remove()
    entered_ids = set(db.session.execute(sa.select(Member.id)).scalars())
    last_log = db.session.execute(sa.select(sa.func.max(ChangeLog.id))).scalar()

    assert load_demo() > 0

    soudy = db.session.execute(
        sa.select(Member).where(Member.last_name.in_(["Soudy", "SOUDY"]))
    ).scalar_one()
    assert (soudy.first_name, soudy.last_name) == ("Éric", "SOUDY")  # untouched
    assert db.session.execute(sa.select(sa.func.count(WorkingGroup.id))).scalar() == 1
    meeting = (
        db.session.execute(sa.select(Meeting).order_by(Meeting.starts_at))
        .scalars()
        .first()
    )
    assert meeting.author == soudy
    # The records found were reused as they were: only creations in the history.
    changes = db.session.execute(
        sa.select(ChangeLog).where(ChangeLog.id > last_log)
    ).scalars()
    touched = {
        (c.record_type, c.record_id) for c in changes if c.kind != ChangeKind.create
    }
    assert not {("member", i) for i in entered_ids} & touched
    assert load_demo() == 0
