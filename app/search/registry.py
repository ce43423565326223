"""Which records are searchable, read from their models' ``__search_index__``.

A model opts in with a class attribute (no import of this package needed)::

    __search_index__ = {
        "code": 3,                              # its own number, never reused
        "title": ("first_name", "last_name"),   # weighs more, shown first
        "body": ("email", "town", "notes"),
        "number": "number",                     # optional: "12" finds it first
    }

Each entry is a column name or a format string over column names
(``"action {number}"``). New tables (document versions, e-mails...) become
searchable by declaring it; ``cdpl-gestion reindex`` then fills their entries.

The ``code`` numbers the entries: an entry's id is ``code × 2³² + record id``
(``IndexSpec.entry_id``), so that the full-text index alone tells which
record each match stands for (``app.search.matching``: a range of ids is a
record type). A new model takes the next free number; a number is never
given to another table, since ids already stored carry it (renumbering
needs a migration, as 0023 did). Taken: 1 to 13. On PostgreSQL a new type
also wants its own index of vectors, by a migration as 0024 (without one its
searches stay exact, through the index of every entry).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db

_FORMATTER = string.Formatter()
#: An entry's id is its record type's code shifted by this many bits, plus
#: the record's id (below 2³²: the tables' integer keys).
ID_SHIFT = 32
RECORD_ID_LIMIT = 1 << ID_SHIFT


def _names(entry: str) -> list[str]:
    if "{" not in entry:
        return [entry]
    return [name for _, name, _, _ in _FORMATTER.parse(entry) if name]


def _value(row, entry: str) -> str:
    if "{" not in entry:
        value = getattr(row, entry, None)
        return "" if value is None else str(value)
    values = {name: getattr(row, name, None) for name in _names(entry)}
    if any(v is None for v in values.values()):
        return ""
    return entry.format(**values)


@dataclass(frozen=True)
class IndexSpec:
    """The searchable fields of one model."""

    model: type
    #: The record type's number in the entries' ids (see the module docstring).
    code: int
    title: tuple[str, ...]
    body: tuple[str, ...]
    #: Column that a number query ("action 12", "12") matches exactly.
    number: str | None = None

    @property
    def record_type(self) -> str:
        return self.model.__tablename__

    @property
    def label(self) -> str:
        return getattr(self.model, "__label_plural__", self.model.__name__)

    @property
    def columns(self) -> list[str]:
        """Every column the entry is made of (a change to one reindexes it)."""
        names: list[str] = []
        for entry in (*self.title, *self.body):
            names += [n for n in _names(entry) if n not in names]
        return names

    @property
    def first_entry_id(self) -> int:
        """The lowest entry id of this record type (record id 0)."""
        return self.code << ID_SHIFT

    def entry_id(self, record_id: int) -> int:
        """The id of this record's index entry."""
        if not 0 <= record_id < RECORD_ID_LIMIT:
            raise ValueError(f"record id out of the index's range: {record_id}")
        return self.first_entry_id + record_id

    def texts(self, row) -> tuple[str, str]:
        """(title, body) of a record or of a row holding its columns."""
        title = " ".join(v for v in (_value(row, e) for e in self.title) if v)
        body = " ".join(v for v in (_value(row, e) for e in self.body) if v)
        return title, body


_cache: dict[type, IndexSpec | None] = {}


def spec_for(model: type) -> IndexSpec | None:
    """The model's index declaration, or None when it is not searchable."""
    if model in _cache:
        return _cache[model]
    declared = model.__dict__.get("__search_index__")
    spec = None
    if declared:
        code = declared.get("code")
        if not isinstance(code, int) or not 0 < code < 1 << 31:
            raise TypeError(
                f'{model.__name__}.__search_index__ needs a "code": a positive '
                "number of its own (see app.search.registry)"
            )
        spec = IndexSpec(
            model=model,
            code=code,
            title=tuple(declared.get("title", ())),
            body=tuple(declared.get("body", ())),
            number=declared.get("number"),
        )
        columns = set(sa.inspect(model).columns.keys())
        unknown = [n for n in spec.columns if n not in columns]
        if unknown:
            raise TypeError(
                f"{model.__name__}.__search_index__ names unknown columns: {unknown}"
            )
    _cache[model] = spec
    return spec


_ordered: dict[frozenset, list[IndexSpec]] = {}


def indexed_models() -> list[IndexSpec]:
    """Every searchable model, in the order of the metadata's tables."""
    mappers = frozenset(db.Model.registry.mappers)
    if mappers not in _ordered:
        # Sorting the metadata's tables costs milliseconds: once per set of
        # models (tests add throwaway ones).
        order = {t.name: i for i, t in enumerate(db.metadata.sorted_tables)}
        specs = [spec_for(m.class_) for m in mappers]
        found = [s for s in specs if s is not None]
        by_code: dict[int, str] = {}
        for spec in found:
            other = by_code.setdefault(spec.code, spec.record_type)
            if other != spec.record_type:
                raise TypeError(
                    f"search index code {spec.code} given to both {other} "
                    f"and {spec.record_type}"
                )
        _ordered.clear()
        _ordered[mappers] = sorted(
            found, key=lambda s: order.get(s.record_type, len(order))
        )
    return _ordered[mappers]


def spec_for_code(code: int) -> IndexSpec | None:
    """The searchable model whose entries' ids carry ``code``."""
    for spec in indexed_models():
        if spec.code == code:
            return spec
    return None


def spec_for_type(record_type: str) -> IndexSpec | None:
    for spec in indexed_models():
        if spec.record_type == record_type:
            return spec
    return None
