"""The change log: one row per created, modified or deleted record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import LabelledEnum, UTCDateTime, enum_column, utcnow


class ChangeKind(LabelledEnum):
    create = "Création"
    update = "Modification"
    delete = "Suppression"


class ChangeLog(db.Model):
    """What changed, when, by whom; written by the session hooks in app.history."""

    __tablename__ = "change_log"
    __label__ = "Entrée du journal"
    __gender__ = "f"
    __label_plural__ = "Journal des modifications"
    #: The log does not log itself.
    __history__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Date (UTC)"}
    )
    #: Account id at the time of the change; no foreign key so that the log
    #: outlives deleted accounts and works before the accounts table exists.
    actor_id: Mapped[int | None] = mapped_column(
        sa.Integer, info={"label": "N° de compte"}
    )
    #: Account e-mail, or "cli" / "demo" / "import" for non-web changes.
    actor_label: Mapped[str] = mapped_column(sa.String(254), info={"label": "Compte"})
    #: Table name of the record ("member", "meeting"...).
    record_type: Mapped[str] = mapped_column(
        sa.String(64), info={"label": "Type de fiche"}
    )
    record_id: Mapped[int] = mapped_column(sa.Integer, info={"label": "N° de fiche"})
    #: How the record read at the time (its __str__), kept after deletion.
    record_label: Mapped[str | None] = mapped_column(
        sa.String(300), info={"label": "Fiche"}
    )
    kind: Mapped[ChangeKind] = mapped_column(
        enum_column(ChangeKind, "change_kind"), info={"label": "Opération"}
    )
    #: {field: [previous value, new value]} in JSON-friendly form.
    changes: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, default=dict, info={"label": "Champs modifiés"}
    )
    #: Every field after the change (before it, for a deletion): what a restore applies.
    snapshot: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, default=dict, info={"label": "État enregistré"}
    )
    #: Same value for every change of one transaction (a meeting and its attendance).
    batch: Mapped[str] = mapped_column(sa.String(32), info={"label": "Lot"})
    note: Mapped[str | None] = mapped_column(sa.String(300), info={"label": "Remarque"})

    __table_args__ = (
        sa.Index("ix_change_log_record", "record_type", "record_id"),
        sa.Index("ix_change_log_changed_at", "changed_at"),
        sa.Index("ix_change_log_actor_label", "actor_label"),
        sa.Index("ix_change_log_actor_id", "actor_id"),
        sa.Index("ix_change_log_batch", "batch"),
        sa.Index("ix_change_log_kind", "kind"),
    )

    def __str__(self) -> str:
        return f"{self.kind.label if self.kind else ''} — {self.record_label or ''}"
