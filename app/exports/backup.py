"""Online backups of the SQLite database, rotation and restore.

The SQLite backup API copies the database page by page under a read
transaction, so the copy is consistent even while the application writes
(WAL mode lets writers go on meanwhile). Every copy is then checked with
``PRAGMA integrity_check`` before it counts as a backup. PostgreSQL is backed
up with pg_dump instead (see docs/backup.md).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

PREFIX = "cdpl-"
SUFFIX = ".sqlite3"


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message is French."""


def sqlite_path(uri: str) -> Path:
    url = make_url(uri)
    if (
        url.get_backend_name() != "sqlite"
        or not url.database
        or url.database == ":memory:"
    ):
        raise BackupError(
            "La sauvegarde intégrée ne concerne que SQLite ; pour PostgreSQL, "
            "utilisez pg_dump (voir docs/backup.md)."
        )
    return Path(url.database)


def integrity_problems(path: Path) -> list[str]:
    """Messages of ``PRAGMA integrity_check`` (empty when the file is sound)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = [r[0] for r in con.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        con.close()
    return [] if rows == ["ok"] else rows


#: Held while a backup is made: a second one waits its turn, and a ``.partial``
#: file found by the holder belongs to no running backup (its writer was killed).
LOCK_NAME = ".cdpl-backup.lock"


@contextmanager
def _backup_lock(target_dir: Path) -> Iterator[None]:
    fd = os.open(target_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        # Released by the kernel when the process ends, even on kill -9.
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def stale_partials(target_dir: Path) -> list[Path]:
    """Unfinished copies (``.partial``) left in ``target_dir``."""
    return sorted(target_dir.glob(f"{PREFIX}*.partial"))


def make_backup(db_path: Path, target_dir: Path, keep: int) -> Path:
    """Copy the live database to ``target_dir``, check it, keep the ``keep`` latest.

    Unfinished copies left by a killed backup are deleted first; a failed copy
    deletes its own.
    """
    if not db_path.exists():
        raise BackupError(f"Base introuvable : {db_path}")
    target_dir.mkdir(parents=True, exist_ok=True)
    with _backup_lock(target_dir):
        for path in stale_partials(target_dir):
            path.unlink(missing_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        final = target_dir / f"{PREFIX}{stamp}{SUFFIX}"
        partial = final.with_suffix(".partial")
        try:
            _copy(db_path, partial)
            problems = integrity_problems(partial)
            if problems:
                raise BackupError("La copie est corrompue : " + "; ".join(problems[:5]))
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        prune(target_dir, keep)
    return final


def _copy(db_path: Path, partial: Path) -> None:
    src = sqlite3.connect(db_path, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        # pages=-1: one step, i.e. one consistent snapshot of the source.
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()


def list_backups(target_dir: Path) -> list[Path]:
    if not target_dir.exists():
        return []
    return sorted(target_dir.glob(f"{PREFIX}*{SUFFIX}"))


def prune(target_dir: Path, keep: int) -> list[Path]:
    backups = list_backups(target_dir)
    removed = backups[: max(len(backups) - max(keep, 1), 0)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def restore_backup(backup: Path, db_path: Path) -> None:
    """Replace the database content with ``backup`` (stop the application first)."""
    if not backup.exists():
        raise BackupError(f"Sauvegarde introuvable : {backup}")
    problems = integrity_problems(backup)
    if problems:
        raise BackupError("La sauvegarde est corrompue : " + "; ".join(problems[:5]))
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(db_path, timeout=30)
    try:
        src.backup(dst, pages=-1)
    finally:
        src.close()
        dst.close()
    problems = integrity_problems(db_path)
    if problems:
        raise BackupError(
            "La base restaurée est corrompue : " + "; ".join(problems[:5])
        )
