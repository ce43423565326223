"""The search index: one entry (title and body text) per searchable record.

Derived data, rebuilt by ``cdpl-gestion reindex`` and kept exact by the session
hook of ``app.search.indexer``; models declare what goes into it with
``__search_index__`` (see ``app.search.registry``). The full-text structures
over this table are not in the metadata because they differ per database
(migration 0014): the FTS5 table ``search_fts`` and its triggers on SQLite, the
generated ``vector`` column and its GIN index on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class SearchEntry(db.Model):
    __tablename__ = "search_entry"
    __label__ = "Entrée de l'index de recherche"
    __label_plural__ = "Index de recherche"
    #: Derived from the records, which have their own history.
    __history__ = False

    #: ``code × 2³² + record_id`` (``IndexSpec.entry_id``), never drawn from a
    #: sequence: the full-text index alone then tells each match's record.
    #: INTEGER on SQLite, where only that type makes the column the rowid
    #: (64 bits there) that the FTS5 table refers to.
    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    )
    #: Table name of the record (``member``, ``meeting``...).
    record_type: Mapped[str] = mapped_column(sa.String(60), info={"label": "Type"})
    record_id: Mapped[int] = mapped_column(sa.Integer, info={"label": "N° de fiche"})
    #: Fields that weigh most (names, titles), joined by spaces.
    title: Mapped[str] = mapped_column(sa.Text, default="", info={"label": "Titre"})
    #: The other searchable fields, joined by spaces.
    body: Mapped[str] = mapped_column(sa.Text, default="", info={"label": "Texte"})

    __table_args__ = (
        sa.UniqueConstraint(
            "record_type", "record_id", name="uq_search_entry_record_type_record_id"
        ),
        # Derived data: not part of the full dump (app.exports.dump).
        {"info": {"derived": True}},
    )

    def __str__(self) -> str:
        return f"{self.record_type} n° {self.record_id}"


#: Full-text structures made by migration 0014 outside the metadata (they
#: differ per database); migrations and the models comparison skip them.
UNMANAGED_TABLES = frozenset(
    {
        "search_fts",
        "search_fts_config",
        "search_fts_data",
        "search_fts_docsize",
        "search_fts_idx",
    }
)
UNMANAGED_COLUMNS = frozenset({("search_entry", "vector")})
UNMANAGED_INDEXES = frozenset({"ix_search_entry_vector"})
#: PostgreSQL's index of each record type's vectors (migration 0024):
#: ``ix_search_entry_vector_<record_type>``.
UNMANAGED_INDEX_PREFIX = "ix_search_entry_vector_"


def include_name(name, type_, parent_names) -> bool:
    """Alembic ``include_name`` hook: False for the index's own structures."""
    if type_ == "table":
        return name not in UNMANAGED_TABLES
    if type_ == "column":
        return (parent_names.get("table_name"), name) not in UNMANAGED_COLUMNS
    if type_ == "index":
        return name not in UNMANAGED_INDEXES and not (name or "").startswith(
            UNMANAGED_INDEX_PREFIX
        )
    return True
