"""Online SQLite backups: consistent under concurrent writes, checked, rotated, restorable."""

from __future__ import annotations

import sqlite3
import threading
import time

import sqlalchemy as sa

from app import create_app
from app.exports.backup import (
    BackupError,
    integrity_problems,
    list_backups,
    make_backup,
    restore_backup,
    sqlite_path,
)
from tests.conftest import base_config

ROWS_PER_TRANSACTION = 10


#: Longest wait for the writer thread: a dead or stuck writer fails the test.
WRITER_TIMEOUT_S = 60


def _writer(path, stop: threading.Event, written: list[int], errors: list) -> None:
    try:
        con = sqlite3.connect(path, timeout=30, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        n = 0
        while not stop.is_set():
            con.execute("BEGIN IMMEDIATE")
            con.executemany(
                "INSERT INTO t (batch, payload) VALUES (?, ?)",
                [(n, "x" * 200) for _ in range(ROWS_PER_TRANSACTION)],
            )
            con.execute("COMMIT")
            n += 1
            written[0] = n
        con.close()
    except Exception as exc:  # reported by the test, not lost in the thread
        errors.append(exc)


def test_backup_during_concurrent_writes_is_consistent_and_restores(tmp_path):
    live = tmp_path / "live.sqlite3"
    con = sqlite3.connect(live)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, batch INTEGER, payload TEXT)")
    con.commit()
    con.close()
    stop = threading.Event()
    written = [0]
    errors: list = []
    thread = threading.Thread(
        target=_writer, args=(live, stop, written, errors), daemon=True
    )
    thread.start()
    backups = []
    try:
        deadline = time.monotonic() + WRITER_TIMEOUT_S
        while written[0] < 20:  # let the writer get going
            assert thread.is_alive(), f"the writer died: {errors}"
            assert time.monotonic() < deadline, "the writer made no progress"
            stop.wait(0.01)
        for _ in range(3):
            backups.append(make_backup(live, tmp_path / "backups", keep=2))
        assert thread.is_alive(), f"the writer died during the backups: {errors}"
    finally:
        stop.set()
        thread.join(timeout=WRITER_TIMEOUT_S)
    assert not thread.is_alive(), "the writer did not stop"
    assert errors == []
    # Only the 2 latest copies are kept.
    kept = list_backups(tmp_path / "backups")
    assert kept == backups[-2:]
    latest = kept[-1]
    assert integrity_problems(latest) == []
    copy = sqlite3.connect(latest)
    count, batches = copy.execute(
        "SELECT COUNT(*), COUNT(DISTINCT batch) FROM t"
    ).fetchone()
    copy.close()
    # A consistent snapshot holds whole transactions only.
    assert count > 0 and count == batches * ROWS_PER_TRANSACTION
    live_count = sqlite3.connect(live).execute("SELECT COUNT(*) FROM t").fetchone()[0]
    assert live_count >= count

    restore_backup(latest, live)
    con = sqlite3.connect(live)
    assert con.execute("SELECT COUNT(*) FROM t").fetchone()[0] == count
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_corrupt_backup_is_refused(tmp_path):
    bad = tmp_path / "cdpl-bad.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    live = tmp_path / "live.sqlite3"
    sqlite3.connect(live).close()
    try:
        restore_backup(bad, live)
    except BackupError as exc:
        assert "corrompue" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("corrupt backup restored")


def test_postgresql_is_pointed_to_pg_dump():
    try:
        sqlite_path("postgresql+psycopg://u:p@localhost/db")
    except BackupError as exc:
        assert "pg_dump" in str(exc)
    else:  # pragma: no cover
        raise AssertionError


def test_backup_and_restore_commands(tmp_path):
    uri = f"sqlite:///{tmp_path}/instance.sqlite3"
    app = create_app(
        base_config(
            tmp_path, SQLALCHEMY_DATABASE_URI=uri, BACKUP_DIR=str(tmp_path / "b")
        )
    )
    from app.extensions import db
    from app.models import DataTransfer, Organisation

    runner = app.test_cli_runner()
    with app.app_context():
        db.session.add(Organisation(name="Avant"))
        db.session.commit()
        result = runner.invoke(args=["backup"])
        assert result.exit_code == 0, result.output
        assert "integrity_check" in result.output
        (backup,) = list_backups(tmp_path / "b")
        db.session.add(Organisation(name="Après"))
        db.session.commit()
        result = runner.invoke(args=["restore", str(backup), "--yes"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        names = db.session.execute(sa.select(Organisation.name)).scalars().all()
        assert names == ["Avant"]
        ops = db.session.execute(sa.select(DataTransfer.operation)).scalars().all()
        assert [o.name for o in ops][-1] == "restore"
        db.session.remove()
        db.engine.dispose()


def _small_db(tmp_path):
    live = tmp_path / "live.sqlite3"
    con = sqlite3.connect(live)
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    con.commit()
    con.close()
    return live


def test_backup_removes_partial_files_left_by_a_killed_backup(tmp_path):
    """Issue 22, finding 10: a killed backup left a 348 MB .partial for ever."""
    live = _small_db(tmp_path)
    target = tmp_path / "backups"
    target.mkdir()
    stale = target / "cdpl-20260101-000000-000000.partial"
    stale.write_bytes(b"\0" * 4096)
    make_backup(live, target, keep=3)
    assert not stale.exists()
    assert [p.suffix for p in target.glob("cdpl-*")] == [".sqlite3"]


def test_backup_killed_midway_leaves_nothing_the_next_one_keeps(tmp_path):
    """A real kill -9 while the copy is written: the next backup cleans up."""
    import os
    import signal
    import subprocess
    import sys
    import time

    live = _small_db(tmp_path)
    con = sqlite3.connect(live)
    con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(200_000)])
    con.commit()
    con.close()
    target = tmp_path / "backups"
    script = (
        "import sqlite3, sys, time\n"
        "from pathlib import Path\n"
        "import app.exports.backup as b\n"
        "def slow(src, partial):\n"
        "    partial.write_bytes(b'partial copy')\n"
        "    time.sleep(60)\n"
        "b._copy = slow\n"
        "b.make_backup(Path(sys.argv[1]), Path(sys.argv[2]), 3)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(live), str(target)])
    try:
        deadline = time.monotonic() + 30
        while not list(target.glob("*.partial")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(target.glob("*.partial"))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    make_backup(live, target, keep=3)
    assert not list(target.glob("*.partial"))


def test_a_failed_copy_deletes_its_partial_file(tmp_path, monkeypatch):
    import app.exports.backup as backup

    live = _small_db(tmp_path)
    target = tmp_path / "backups"

    def broken(src, partial):
        partial.write_bytes(b"half")
        raise OSError("disque plein")

    monkeypatch.setattr(backup, "_copy", broken)
    try:
        make_backup(live, target, keep=3)
    except OSError:
        pass
    assert not list(target.glob("*.partial"))
