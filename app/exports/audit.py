"""Record every export, import, dump and backup in the ``data_transfer`` table."""

from __future__ import annotations

import logging

from app.db import session_may_write, short_write
from app.extensions import db
from app.history.actor import current_actor as history_actor
from app.models.audit import DataTransfer, TransferOperation, TransferOutcome

log = logging.getLogger(__name__)


def current_actor() -> str:
    """Who to record: the same attribution as the change history."""
    return history_actor().label


def record(
    operation: TransferOperation,
    target: str,
    rows: int,
    *,
    file_format: str | None = None,
    details: str | None = None,
    success: bool = True,
    actor: str | None = None,
) -> None:
    """Add one audit row and commit it (never lets a logging failure escape)."""
    entry = DataTransfer(
        actor=(actor or current_actor())[:254],
        operation=operation,
        target=target[:120],
        file_format=file_format,
        row_count=max(int(rows), 0),
        outcome=TransferOutcome.success if success else TransferOutcome.failure,
        details=details,
    )
    try:
        if session_may_write():
            db.session.rollback()  # nothing else of the request goes with it
        # An export is a read request: its record goes in a short write
        # transaction of its own, never by upgrading the read transaction.
        with short_write() as writer:
            writer.add(entry)
    except Exception:
        db.session.rollback()
        log.exception("Could not record %s of %s", operation.name, target)
