"""Reading a record's history: its entries, and those newer than a version seen."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.history import ChangeLog


def record_entries(record_type: str, record_id: int) -> list[ChangeLog]:
    """Every history entry of one record, newest first."""
    return list(
        db.session.execute(
            sa.select(ChangeLog)
            .where(
                ChangeLog.record_type == record_type,
                ChangeLog.record_id == record_id,
            )
            .order_by(ChangeLog.id.desc())
        ).scalars()
    )


def changes_since(record_type: str, record_id: int, seen: int) -> list[ChangeLog]:
    """Entries that produced versions after ``seen``, newest first."""
    return [
        e
        for e in record_entries(record_type, record_id)
        if (e.snapshot or {}).get("version") is not None
        and e.snapshot["version"] > seen
    ]
