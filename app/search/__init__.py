"""One search for every record type, served by an index kept exact (issue 18).

- ``registry``: which models are searchable (their ``__search_index__``);
- ``query``: what a person typed, as safe words and phrases;
- ``indexer``: the session hook writing ``search_entry`` in the same
  transaction as the record, and the full rebuild (``cdpl-gestion reindex``);
- ``matching``: the database-specific matching (SQLite FTS5, PostgreSQL full
  text); list searches and pickers use ``record_ids``, ``typed_record_keys``,
  ``entries_matching`` and ``any_entry_matching`` (``app.admin.search_keys``);
- ``engine``: the global search and its extracts, on the same matching;
- ``labels``: a record found by the words of the label a picker shows.
"""

from __future__ import annotations

from flask import Flask

from app.search.engine import Results, search
from app.search.indexer import install, rebuild
from app.search.labels import label_condition
from app.search.matching import (
    any_entry_matching,
    entries_matching,
    record_ids,
    typed_record_keys,
)
from app.search.query import Query, parse

__all__ = [
    "Query",
    "Results",
    "any_entry_matching",
    "entries_matching",
    "init_search",
    "label_condition",
    "parse",
    "rebuild",
    "record_ids",
    "search",
    "typed_record_keys",
]


def init_search(app: Flask) -> None:
    """Install the index hook (idempotent; shared by every app of the process)."""
    install()
