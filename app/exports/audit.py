"""Record every export, import, dump and backup in the ``data_transfer`` table."""

from __future__ import annotations

import logging

from app.extensions import db
from app.models.audit import DataTransfer, TransferOperation, TransferOutcome

log = logging.getLogger(__name__)


def current_actor() -> str:
    """E-mail (or id) of the logged-in user; "cli" outside a web request."""
    from flask import has_request_context

    if not has_request_context():
        return "cli"
    try:
        from flask_login import current_user
    except ImportError:  # pragma: no cover - Flask-Login is a dependency
        return "anonyme"
    try:
        user = current_user._get_current_object()
    except Exception:  # no login manager configured on this app
        return "anonyme"
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonyme"
    return str(getattr(user, "email", None) or getattr(user, "id", "anonyme"))


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
        db.session.rollback()
        db.session.add(entry)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("Could not record %s of %s", operation.name, target)
