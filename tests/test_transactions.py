"""How a request chooses its transaction (issue 21).

On SQLite a read request (GET) runs in a deferred transaction: it reads a WAL
snapshot and never takes the write lock, so it neither waits for a writer nor
makes other readers wait. Writes (POST, commands) keep BEGIN IMMEDIATE and
still serialize. The few rows a read request writes (session touch, security
event, export record) go in a short write transaction of their own, never by
upgrading the read transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import Member
from app.models.accounts import AuthSession, SecurityEvent, SecurityEventKind
from app.models.audit import DataTransfer
from app.models.base import utcnow
from tests.conftest import PG_URL

sqlite_only = pytest.mark.skipif(
    bool(PG_URL), reason="transaction modes (BEGIN / BEGIN IMMEDIATE) are SQLite's"
)

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class StatementLog:
    """Every statement each SQLite connection runs, with the mode of its BEGIN."""

    def __init__(self, engine):
        self.engine = engine
        self.entries: list[tuple[int, str]] = []

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        self.entries.append((id(conn.connection.dbapi_connection), statement))

    def writes_in_read_transactions(self) -> list[str]:
        """Write statements run inside a deferred (plain BEGIN) transaction."""
        mode: dict[int, str] = {}
        bad = []
        for conn_id, statement in self.entries:
            words = statement.lstrip().upper()
            if words.startswith("BEGIN"):
                mode[conn_id] = words
            elif words.startswith(WRITES) and mode.get(conn_id) == "BEGIN":
                bad.append(statement)
        return bad

    def begins(self) -> list[str]:
        return [s for _, s in self.entries if s.lstrip().upper().startswith("BEGIN")]


@pytest.fixture
def statements(db):
    with StatementLog(db.engine) as log:
        yield log


def _database_file(db) -> str:
    return db.engine.url.database


class WriteLockHolder:
    """A second connection holding SQLite's write lock until released."""

    def __init__(self, path: str):
        self.conn = sqlite3.connect(
            path, isolation_level=None, timeout=1, check_same_thread=False
        )
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("UPDATE member SET notes = notes")  # a write in progress

    def release(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


@sqlite_only
def test_a_page_read_does_not_wait_for_the_write_lock(admin_client, db, make_member):
    make_member(last_name="Le Goff")
    db.session.remove()  # the test's own session holds no transaction
    holder = WriteLockHolder(_database_file(db))
    try:
        # Under BEGIN IMMEDIATE this request would wait busy_timeout (15 s)
        # and end in "database is locked" (an error page).
        response = admin_client.get("/admin/member/")
        assert response.status_code == 200
        assert "Le Goff" in response.get_data(as_text=True)
        details = admin_client.get("/admin/")
        assert details.status_code == 200
    finally:
        holder.release()


@sqlite_only
def test_read_requests_begin_deferred_and_writes_begin_immediate(
    admin_client, db, make_member, statements
):
    member = make_member(last_name="Kervella")
    member_id, version = member.id, member.version
    db.session.remove()
    statements.entries.clear()
    assert admin_client.get("/admin/member/").status_code == 200
    assert statements.begins() == ["BEGIN"]

    # The request ended its read transaction (the test's app context, which
    # outlives it, would otherwise carry it into the next request).
    statements.entries.clear()
    response = admin_client.post(
        f"/admin/member/edit/?id={member_id}",
        data={
            "first_name": "Anne",
            "last_name": "Kervella-Le Bihan",
            "version": str(version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert statements.begins()[0] == "BEGIN IMMEDIATE"
    assert statements.writes_in_read_transactions() == []
    db.session.remove()
    assert db.session.get(Member, member_id).last_name == "Kervella-Le Bihan"


@sqlite_only
def test_a_write_waits_for_its_turn_instead_of_failing(admin_client, db, make_member):
    member = make_member(last_name="Tanguy")
    member_id, version = member.id, member.version
    db.session.remove()
    holder = WriteLockHolder(_database_file(db))
    timer = threading.Timer(0.5, holder.release)
    timer.start()
    try:
        response = admin_client.post(
            f"/admin/member/edit/?id={member_id}",
            data={"first_name": "Yann", "last_name": "Tanguy", "version": str(version)},
        )
    finally:
        timer.join()
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.remove()
    assert db.session.get(Member, member_id).first_name == "Yann"


def _age_session(db, minutes: int) -> None:
    db.session.execute(
        sa.update(AuthSession).values(
            last_seen_at=utcnow() - timedelta(minutes=minutes)
        )
    )
    db.session.commit()
    db.session.remove()


def test_session_touch_of_a_read_is_a_write_of_its_own(admin_client, db, statements):
    _age_session(db, 2)
    statements.entries.clear()
    assert admin_client.get("/admin/member/").status_code == 200
    assert statements.writes_in_read_transactions() == []
    if not PG_URL:
        # The request's read, then the touch's own short write transaction.
        assert statements.begins() == ["BEGIN", "BEGIN IMMEDIATE"]
    seen = db.session.execute(sa.select(AuthSession.last_seen_at)).scalar_one()
    assert utcnow() - seen < timedelta(seconds=30)


def test_expired_session_is_deleted_by_a_read(admin_client, db, statements):
    _age_session(db, 60 * 24)
    statements.entries.clear()
    response = admin_client.get("/admin/member/")
    assert response.status_code == 302  # back to the login page
    assert statements.writes_in_read_transactions() == []
    db.session.remove()
    assert db.session.execute(sa.select(sa.func.count(AuthSession.id))).scalar() == 0


def test_security_event_of_a_read_is_a_write_of_its_own(reader_client, db, statements):
    db.session.remove()
    statements.entries.clear()
    assert reader_client.get("/admin/member/new/").status_code == 403
    assert statements.writes_in_read_transactions() == []
    db.session.remove()
    kinds = db.session.execute(sa.select(SecurityEvent.kind)).scalars().all()
    assert SecurityEventKind.access_denied in kinds


def test_export_record_of_a_read_is_a_write_of_its_own(
    admin_client, db, make_member, statements
):
    make_member(last_name="Guivarc'h")
    db.session.remove()
    statements.entries.clear()
    response = admin_client.get("/admin/member/export/csv/")
    assert response.status_code == 200
    assert "Guivarc'h" in response.get_data(as_text=True)
    response.close()
    assert statements.writes_in_read_transactions() == []
    db.session.remove()
    targets = db.session.execute(sa.select(DataTransfer.target)).scalars().all()
    assert targets == ["member"]
