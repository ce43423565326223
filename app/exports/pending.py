"""Uploaded import files kept server-side between preview and confirmation."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

from flask import current_app

from app.exports.preview import Preview
from app.exports.readers import Table, table_from_json, table_to_json

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
#: Pending imports older than this are deleted.
MAX_AGE_SECONDS = 24 * 3600


def pending_dir() -> Path:
    configured = current_app.config.get("IMPORT_DIR")
    path = (
        Path(configured) if configured else Path(current_app.instance_path) / "imports"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def _paths(token: str) -> tuple[Path, Path] | None:
    if not TOKEN_RE.match(token or ""):
        return None
    base = pending_dir()
    return base / f"{token}.upload", base / f"{token}.json"


def _table_path(token: str) -> Path | None:
    if not TOKEN_RE.match(token or ""):
        return None
    return pending_dir() / f"{token}.table"


def _write_private(path: Path | None, text: str) -> None:
    """Write ``text`` readable by this account only, whole or not at all (a
    reader never sees half a file)."""
    if path is None:
        raise ValueError("bad token")
    tmp = path.with_suffix(path.suffix + "tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def save_table(token: str, table: Table) -> None:
    """Keep the table as read at upload (the review page reads it, not the file)."""
    _write_private(_table_path(token), table_to_json(table))


def load_table(token: str) -> Table | None:
    """The table kept by save_table, or None (older upload: read the file)."""
    path = _table_path(token)
    if path is None or not path.exists():
        return None
    return table_from_json(path.read_text(encoding="utf-8"))


def _preview_path(token: str) -> Path | None:
    if not TOKEN_RE.match(token or ""):
        return None
    return pending_dir() / f"{token}.preview"


def save_preview(token: str, preview: Preview) -> None:
    """Keep the analysis's summary for the review page (written by the job)."""
    _write_private(_preview_path(token), preview.to_json())


def load_preview(token: str) -> Preview | None:
    """The summary kept by save_preview, or None (not analysed yet)."""
    path = _preview_path(token)
    if path is None or not path.exists():
        return None
    return Preview.from_json(path.read_text(encoding="utf-8"))


def drop_preview(token: str) -> None:
    """Forget the summary: the next view of the review page analyses again."""
    path = _preview_path(token)
    if path is not None:
        path.unlink(missing_ok=True)


def save(data: bytes, meta: dict) -> str:
    purge_old()
    token = secrets.token_urlsafe(24)
    data_path, meta_path = _paths(token)
    fd = os.open(data_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    write_meta(token, meta)
    return token


def write_meta(token: str, meta: dict) -> None:
    paths = _paths(token)
    if paths is None:
        raise ValueError("bad token")
    tmp = paths[1].with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, paths[1])


def load(token: str) -> tuple[bytes, dict] | None:
    paths = _paths(token)
    if paths is None or not paths[0].exists() or not paths[1].exists():
        return None
    return paths[0].read_bytes(), json.loads(paths[1].read_text(encoding="utf-8"))


def delete(token: str) -> None:
    paths = _paths(token)
    if paths is None:
        return
    for path in (*paths, _table_path(token), _preview_path(token)):
        path.unlink(missing_ok=True)


def purge_old(now: float | None = None) -> None:
    limit = (now or time.time()) - MAX_AGE_SECONDS
    for path in pending_dir().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            continue
