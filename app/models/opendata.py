"""The open-data package's freshness stamp: one row, rewritten by the commit
that changes a record the package is built from (``app.opendata.freshness``).

Every app process keeps its own copy of the built package keyed on this stamp,
so a change committed through any process is seen by all at their next request.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime


class OpendataState(db.Model):
    __tablename__ = "opendata_state"
    __label__ = "État des données ouvertes"
    __label_plural__ = "États des données ouvertes"
    #: Bookkeeping, rewritten by the commits of the records, which have their history.
    __history__ = False

    #: Always 1: a single row.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random, new at each change of the published data; the package cache's key.
    stamp: Mapped[str] = mapped_column(sa.String(32), info={"label": "Empreinte"})
    changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), info={"label": "Modifiées le"}
    )

    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    def __str__(self) -> str:
        return f"Données ouvertes modifiées (empreinte {self.stamp})"
