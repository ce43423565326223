"""The change-log rows and search entries of a bulk write, as the hooks write them.

``app.history.recorder`` and ``app.search.indexer`` write them from the unit of
work; :class:`EntryWriter` makes the same rows from plain values, for
``app.exports.bulk`` (``tests/test_import_bulk.py`` compares both, field for
field).
"""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import attributes

from app.exports.statements import ROWS_PER_STATEMENT, Params, chunks, insert_many
from app.history.actor import Actor, current_actor
from app.history.recorder import (
    BATCH_KEY,
    NOTE_KEY,
    _label,
    collection_keys,
    column_keys,
    dump,
    is_tracked,
)
from app.models.base import utcnow
from app.models.history import ChangeKind, ChangeLog
from app.models.search import SearchEntry
from app.search.registry import spec_for

ENTRY = SearchEntry.__table__
LOG = ChangeLog.__table__
LOG_KEYS = (
    "changed_at",
    "actor_id",
    "actor_label",
    "record_type",
    "record_id",
    "record_label",
    "kind",
    "changes",
    "snapshot",
    "batch",
    "note",
)
ENTRY_KEYS = ("id", "record_type", "record_id", "title", "body")
ENTRY_ID, ENTRY_RECORD_ID = ENTRY_KEYS.index("id"), ENTRY_KEYS.index("record_id")
LOG_ID, LOG_LABEL, LOG_SNAPSHOT = (
    LOG_KEYS.index("record_id"),
    LOG_KEYS.index("record_label"),
    LOG_KEYS.index("snapshot"),
)
#: How a new record's snapshot reads before its id is known (``json.dumps``
#: writes a key as ``"id": null``; a quote inside a value is escaped, so this
#: text can only be the top-level key).
NO_ID = json.dumps({"id": None})[1:-1]


class EntryWriter:
    """History and search rows of one bulk write, in the hooks' own form."""

    def __init__(self, session, model: type, actor: Actor | None = None):
        self.session = session
        self.model = model
        self.mapper = sa.inspect(model)
        self.table = model.__table__
        self.tracked = is_tracked(model)
        self.spec = spec_for(model)
        self.keys = column_keys(self.mapper)
        self.collections = collection_keys(self.mapper)
        # Given by the caller when the account was read before a commit: reading
        # it here would reload it, and a POST's transaction take the lock.
        self.actor = actor or (current_actor() if self.tracked else None)
        self.batch = session.info.setdefault(BATCH_KEY, uuid.uuid4().hex)
        self.note = session.info.get(NOTE_KEY)
        # The engine's dialect: asking the session for a connection would
        # begin the write transaction.
        self.dialect = session.get_bind().dialect
        self.log_params = Params(self.dialect, LOG, LOG_KEYS)
        self.entry_params = Params(self.dialect, ENTRY, ENTRY_KEYS)
        self._params: dict[tuple[str, ...], Params] = {}
        #: Objects of the related records, by relation: labels read them.
        self.related: dict[str, dict] = {}

    def params(self, keys: tuple[str, ...]) -> Params:
        if keys not in self._params:
            self._params[keys] = Params(self.dialect, self.table, keys)
        return self._params[keys]

    # ----- labels: a detached object carrying the record's values and relations
    def load_related(self, values: list[dict], session) -> None:
        """Load the many-to-one targets the new values point to (labels read them)."""
        for rel in self.mapper.relationships:
            if rel.direction.name != "MANYTOONE" or len(rel.local_columns) != 1:
                continue
            column = next(iter(rel.local_columns))
            ids = sorted({v[column.key] for v in values if v.get(column.key)})
            cache = self.related.setdefault(rel.key, {})
            target = rel.mapper.class_
            wanted = [i for i in ids if i not in cache]
            for part in chunks(wanted, ROWS_PER_STATEMENT):
                stmt = sa.select(target).where(target.id.in_(part))
                cache.update((o.id, o) for o in session.execute(stmt).scalars())

    def _object(self, values: dict):
        # Values put in the instance dict count as loaded (no change, no
        # query): ``str()`` and the search texts read them as on a record.
        obj = self.model.__new__(self.model)
        attributes.manager_of_class(self.model).setup_instance(obj)
        state = obj.__dict__
        state.update((key, values[key]) for key in self.keys if key in values)
        for rel in self.mapper.relationships:
            if rel.key in self.related:
                column = next(iter(rel.local_columns))
                state[rel.key] = self.related[rel.key].get(values.get(column.key))
        return obj

    # ----- the rows the hooks would write
    def add(self, kind: str, values: dict, changes: dict, search_changed: bool):
        """(change-log parameters or None, search-entry parameters or None, object)."""
        obj = log = entry = None
        if self.tracked:
            obj = self._object(values)
            snap = {key: dump(values.get(key)) for key in self.keys}
            for key in self.collections:
                snap[key] = []
            log = self.log_params.row(
                {
                    "changed_at": utcnow(),
                    "actor_id": self.actor.id,
                    "actor_label": self.actor.label[:254],
                    "record_type": self.table.name,
                    "record_id": values.get("id"),
                    "record_label": _label(obj),
                    "kind": ChangeKind[kind],
                    "changes": changes,
                    "snapshot": snap,
                    "batch": self.batch,
                    "note": self.note,
                }
            )
        if self.spec is not None and search_changed:
            title, body = self.spec.texts(
                obj if obj is not None else self._object(values)
            )
            record_id = values.get("id")
            entry = self.entry_params.row(
                {
                    "id": None if record_id is None else self.spec.entry_id(record_id),
                    "record_type": self.spec.record_type,
                    "record_id": record_id,
                    "title": title,
                    "body": body,
                }
            )
        return log, entry, obj

    def number_entry(self, entry: list, record_id: int) -> None:
        """Give a new record's search-entry parameters its id, once known."""
        entry[ENTRY_ID] = self.spec.entry_id(record_id)
        entry[ENTRY_RECORD_ID] = record_id

    def write_entries(self, conn, logs: list, entries: list, stale: list[int]):
        """Replace the search entries of ``stale`` records, add the new rows."""
        if self.spec is not None:
            for part in chunks(stale, ROWS_PER_STATEMENT):
                conn.execute(
                    ENTRY.delete().where(
                        ENTRY.c.record_type == self.spec.record_type,
                        ENTRY.c.record_id.in_(part),
                    )
                )
        insert_many(conn, ENTRY, ENTRY_KEYS, [e for e in entries if e is not None])
        insert_many(conn, LOG, LOG_KEYS, [row for row in logs if row is not None])
