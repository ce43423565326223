"""Audit trail of data leaving or entering the application (exports, imports, dumps)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import LabelledEnum, UTCDateTime, enum_column, utcnow


class TransferOperation(LabelledEnum):
    export = "Export"
    import_ = "Import"
    dump = "Sauvegarde complète (ZIP)"
    backup = "Copie de sauvegarde"
    restore = "Restauration"


class TransferOutcome(LabelledEnum):
    success = "Réussi"
    failure = "Échoué"


class DataTransfer(db.Model):
    """One export, import, dump or backup: who, when, what and how many rows."""

    __tablename__ = "data_transfer"
    #: A log of its own: copying its rows into the change log would only add noise.
    __history__ = False
    __label__ = "Échange de données"
    __label_plural__ = "Journal des échanges de données"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Date"}
    )
    #: E-mail of the logged-in user, or "cli" for command-line runs.
    actor: Mapped[str] = mapped_column(sa.String(254), info={"label": "Auteur"})
    operation: Mapped[TransferOperation] = mapped_column(
        enum_column(TransferOperation, "transfer_operation"),
        info={"label": "Opération"},
    )
    #: What was transferred: a list view endpoint, an import kind, "database".
    target: Mapped[str] = mapped_column(sa.String(120), info={"label": "Données"})
    file_format: Mapped[str | None] = mapped_column(
        sa.String(20), info={"label": "Format"}
    )
    row_count: Mapped[int] = mapped_column(
        sa.Integer, default=0, info={"label": "Lignes"}
    )
    outcome: Mapped[TransferOutcome] = mapped_column(
        enum_column(TransferOutcome, "transfer_outcome"),
        default=TransferOutcome.success,
        info={"label": "Résultat"},
    )
    #: Search and filters of an export, file name of an import, error summary.
    details: Mapped[str | None] = mapped_column(sa.Text, info={"label": "Détails"})

    __table_args__ = (
        sa.CheckConstraint("row_count >= 0", name="row_count_positive"),
        sa.Index("ix_data_transfer_at", "at"),
        sa.Index("ix_data_transfer_operation", "operation"),
        sa.Index("ix_data_transfer_actor", "actor"),
    )

    def __str__(self) -> str:
        when = self.at.strftime("%Y-%m-%d %H:%M") if self.at else ""
        op = self.operation.label if self.operation else ""
        return f"{op} {self.target} ({when})"


__all__ = ["DataTransfer", "TransferOperation", "TransferOutcome"]
