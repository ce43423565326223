"""Online backups of the SQLite database, rotation and restore.

The SQLite backup API copies the database page by page under a read
transaction, so the copy is consistent even while the application writes
(WAL mode lets writers go on meanwhile). Every copy is then checked with
``PRAGMA integrity_check`` before it counts as a backup. PostgreSQL is backed
up with pg_dump instead (see docs/backup.md).
"""

from __future__ import annotations

import os
import sqlite3
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


def make_backup(db_path: Path, target_dir: Path, keep: int) -> Path:
    """Copy the live database to ``target_dir``, check it, keep the ``keep`` latest."""
    if not db_path.exists():
        raise BackupError(f"Base introuvable : {db_path}")
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    final = target_dir / f"{PREFIX}{stamp}{SUFFIX}"
    partial = final.with_suffix(".partial")
    src = sqlite3.connect(db_path, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        # pages=-1: one step, i.e. one consistent snapshot of the source.
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()
    problems = integrity_problems(partial)
    if problems:
        partial.unlink(missing_ok=True)
        raise BackupError("La copie est corrompue : " + "; ".join(problems[:5]))
    os.replace(partial, final)
    prune(target_dir, keep)
    return final


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
