"""Bulk writes for imports: Core statements, with their history and search entries.

The unit of work costs about a millisecond per record (object state, two
session hooks, one ``str()`` per record that may load a relation): a 100,000-row
import held SQLite's write lock for more than a minute. Here the records are
written with plain SQL statements on the session's connection, and the
change-log rows and search entries are computed from the same values and
written the same way, in the same transaction: they are those the session
hooks (``app.history.recorder``, ``app.search.indexer``) would have written
for the same change, field for field (``tests/test_import_bulk.py`` compares).

Two steps, so that the write lock is held for the statements alone:

- **prepare**, before the write transaction, reading through
  :func:`app.db.read_session`: previous values, changes, labels, snapshots,
  search texts, and every statement parameter in the form the driver takes
  (dates, enums, JSON already encoded);
- **write**, in it: the ids of new records, a check that the records to
  update still have the version read (one ``SELECT id, version`` per 500; a
  record changed meanwhile is prepared again there, one deleted refuses the
  import), then the statements of ``app.exports.statements``: multi-row
  ``INSERT`` and an executemany ``UPDATE`` on SQLite, ``COPY`` on PostgreSQL.
  The change-log rows and search entries come from
  ``app.exports.bulk_entries``.

On SQLite rows go 500 to an ``INSERT`` rather than one per execution: the
FTS5 table behind ``search_entry`` (triggers of migration 0014) flushes its
pending terms at the end of every statement, so an executemany wrote one index
segment per row and made the search entries the dearest part of the write
(1.5 s for 20,000 rows, 0.2 s in statements of 500).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import scoped_session

from app.db import note_bulk_write, read_session
from app.exports.bulk_entries import (
    LOG_ID,
    LOG_LABEL,
    LOG_SNAPSHOT,
    NO_ID,
    EntryWriter,
)
from app.exports.statements import (
    ROWS_PER_STATEMENT,
    chunks,
    insert_many,
    large_cache,
    new_ids,
    update_many,
)
from app.history.actor import Actor
from app.history.recorder import BOOKKEEPING, SILENT, _label, dump
from app.models.base import utcnow


@contextmanager
def _reading(session) -> Iterator:
    """Where the preparation reads: a read-only session of its own, unless
    ``session`` already has a transaction open (it must see its own writes,
    and holds the lock anyway)."""
    own = session() if isinstance(session, scoped_session) else session
    if own.in_transaction():
        yield session
        return
    with read_session() as reader:
        try:
            yield reader
        finally:
            reader.expunge_all()  # the labels read what it loaded, later


def _creation_changes(writer: EntryWriter, value: dict) -> dict:
    dumped = {k: dump(value.get(k)) for k in writer.keys}
    return {
        k: [None, v]
        for k, v in dumped.items()
        if k not in SILENT and v not in (None, [], False)
    }


@dataclass
class PreparedInsert:
    """New records ready to write: :meth:`write` in the write transaction."""

    writer: EntryWriter
    values: list[dict]
    #: Parameters of each new record, its id first (filled by ``write``).
    rows: list[list] = field(default_factory=list)
    logs: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    objects: list = field(default_factory=list)
    #: Columns filled by the database (no default known here): read back.
    unknown: list[str] = field(default_factory=list)

    def write(self, session) -> list[int]:
        """Insert the records and their entries; their ids. The caller commits."""
        writer, table = self.writer, self.writer.table
        conn = session.connection()
        with large_cache(conn):
            ids = new_ids(conn, table, len(self.values))
            for record_id, value, row in zip(ids, self.values, self.rows, strict=True):
                value["id"] = record_id
                row[0] = record_id
            if not self.unknown:
                self._number_entries(ids)
            groups: dict[tuple[str, ...], list[list]] = {}
            for value, row in zip(self.values, self.rows, strict=True):
                groups.setdefault(_keys_of(value), []).append(row)
            for keys, rows in groups.items():
                insert_many(conn, table, keys, rows)
            if self.unknown:  # columns set by the database: read back for the history
                by_id = {v["id"]: v for v in self.values}
                for part in chunks(ids, ROWS_PER_STATEMENT):
                    stmt = sa.select(
                        table.c.id, *[table.c[k] for k in self.unknown]
                    ).where(table.c.id.in_(part))
                    for db_row in conn.execute(stmt).mappings():
                        for key in self.unknown:
                            by_id[db_row["id"]].setdefault(key, db_row[key])
                writer.load_related(self.values, session)
                for value in self.values:
                    log, entry, _obj = writer.add(
                        "create", value, _creation_changes(writer, value), True
                    )
                    self.logs.append(log)
                    self.entries.append(entry)
            writer.write_entries(conn, self.logs, self.entries, [])
        if ids:
            note_bulk_write(session, writer.model)
        return ids

    def _number_entries(self, ids: list[int]) -> None:
        for record_id, log, entry, obj in zip(
            ids, self.logs, self.entries, self.objects, strict=True
        ):
            if log is not None:
                log[LOG_ID] = record_id
                log[LOG_SNAPSHOT] = log[LOG_SNAPSHOT].replace(
                    NO_ID, f'"id": {record_id}', 1
                )
                if "None" in log[LOG_LABEL]:  # a label made of the id ("n° 12")
                    obj.__dict__["id"] = record_id
                    log[LOG_LABEL] = _label(obj)
            if entry is not None:
                self.writer.number_entry(entry, record_id)


def _keys_of(value: dict) -> tuple[str, ...]:
    return ("id", *sorted(k for k in value if k != "id"))


def prepare_insert(
    session,
    model: type,
    rows: list[dict],
    progress: Callable[[int], None] | None = None,
    actor: Actor | None = None,
) -> PreparedInsert:
    """Everything an insert of ``rows`` needs, computed before the write
    transaction (defaults, labels, snapshots, search texts, parameters)."""
    session.flush()
    writer = EntryWriter(session, model, actor)
    table = writer.table
    defaults = {
        c.key: c.default for c in table.c if c.default is not None and not c.primary_key
    }
    unknown = [
        c.key
        for c in table.c
        if c.server_default is not None and c.default is None and not c.primary_key
    ]
    values = []
    for given in rows:
        value = dict(given)
        for key, default in defaults.items():
            if key not in value:
                value[key] = default.arg if default.is_scalar else default.arg(None)
        value["id"] = None
        values.append(value)
    prepared = PreparedInsert(writer, values, unknown=unknown)
    if not unknown:
        with _reading(session) as reader:
            writer.load_related(values, reader)
    for part in chunks(values):
        for value in part:
            keys = _keys_of(value)
            prepared.rows.append(writer.params(keys).row(value))
            if not unknown:
                log, entry, obj = writer.add(
                    "create", value, _creation_changes(writer, value), True
                )
                prepared.logs.append(log)
                prepared.entries.append(entry)
                prepared.objects.append(obj)
        if progress is not None:
            progress(len(part))
    return prepared


def insert_records(
    session,
    model: type,
    rows: list[dict],
    progress: Callable[[int], None] | None = None,
    actor: Actor | None = None,
) -> list[int]:
    """Insert ``rows`` (attribute values, unset ones take their defaults); their ids.

    Writes the creation entries of the change history and the search entries,
    as the session hooks do for ``session.add``. The caller commits.
    """
    return prepare_insert(session, model, rows, progress, actor).write(session)


@dataclass
class PreparedUpdate:
    """Changes ready to write: :meth:`write` in the write transaction."""

    writer: EntryWriter
    updates: dict[int, dict]
    #: What the records looked like when prepared: their version (every
    #: column for a model without one), by id.
    seen: dict[int, tuple] = field(default_factory=dict)
    #: By id of a record that changes: (UPDATE parameters and their columns,
    #: change-log parameters, search-entry parameters or None).
    changed: dict[int, tuple] = field(default_factory=dict)

    def write(self, session) -> int:
        """Check the versions, update the records and their entries; the count
        changed. ``LookupError`` if a record was deleted meanwhile."""
        writer, table = self.writer, self.writer.table
        conn = session.connection()
        with large_cache(conn):
            moved = []
            for part in chunks(sorted(self.seen), ROWS_PER_STATEMENT):
                # Not locked on PostgreSQL (FOR UPDATE writes every row once
                # more): a change after this check fails the UPDATE's version
                # guard, and the import is refused.
                stmt = sa.select(*_seen_columns(table)).where(table.c.id.in_(part))
                now = {row[0]: tuple(row) for row in conn.execute(stmt)}
                if len(now) != len(part):
                    raise LookupError("a record to update was deleted meanwhile")
                moved += [i for i in part if now[i] != self.seen[i]]
            if moved:  # changed since prepared: prepared again, on the lock
                for record_id in moved:
                    self.changed.pop(record_id, None)
                _prepare_changes(self, session, moved)
            groups: dict[tuple[str, ...], list[list]] = {}
            logs, entries, stale = [], [], []
            for record_id in sorted(self.changed):
                (keys, params), log, entry = self.changed[record_id]
                groups.setdefault(keys, []).append(params)
                logs.append(log)
                if entry is not None:
                    entries.append(entry)
                    stale.append(record_id)
            for keys, rows in groups.items():
                update_many(conn, table, keys, rows)
            writer.write_entries(conn, logs, entries, stale)
        if self.changed:
            note_bulk_write(session, writer.model)
        # Objects of these records already in the session would show old values.
        for obj in list(session.identity_map.values()):
            if isinstance(obj, writer.model) and obj.id in self.updates:
                session.expire(obj)
        return len(self.changed)


def _seen_columns(table: sa.Table) -> list:
    if "version" in table.c:
        return [table.c.id, table.c.version]
    return [table.c.id, *[c for c in table.c if c.key != "id"]]


def _prepare_changes(
    prepared: PreparedUpdate,
    reader,
    ids: list[int],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Read the records ``ids`` through ``reader``; prepare those that change."""
    writer, table, updates = prepared.writer, prepared.writer.table, prepared.updates
    timestamped = "version" in table.c and "updated_at" in table.c
    searched = set(writer.spec.columns) if writer.spec is not None else set()
    seen_keys = [c.key for c in _seen_columns(table)]
    for part in chunks(ids):
        old_rows = {}
        for ids_part in chunks(part, ROWS_PER_STATEMENT):
            stmt = sa.select(table).where(table.c.id.in_(ids_part))
            old_rows.update((r["id"], dict(r)) for r in reader.execute(stmt).mappings())
        if len(old_rows) != len(part):
            raise LookupError("a record to update was deleted meanwhile")
        values_part = []
        for record_id in part:
            old = old_rows[record_id]
            prepared.seen[record_id] = tuple(old[k] for k in seen_keys)
            given = updates[record_id]
            new = {**old, **given}
            changes = {}
            for key in writer.keys:
                if key in BOOKKEEPING or key not in given:
                    continue
                before, after = old.get(key), new.get(key)
                if before == after:
                    continue
                if dump(before) != dump(after):
                    changes[key] = [dump(before), dump(after)]
            if not changes:
                continue
            if timestamped:
                new["version"] = (old["version"] or 0) + 1
                new["updated_at"] = utcnow()
            values_part.append((new, changes, old, given))
        writer.load_related([v[0] for v in values_part], reader)
        for new, changes, old, given in values_part:
            log, entry, _obj = writer.add(
                "update", new, changes, search_changed=bool(searched & set(changes))
            )
            keys = tuple(given)
            if timestamped:
                keys += ("version", "updated_at")
            params = writer.params(keys).row(new)
            params.append(new["id"])
            if "version" in table.c:
                params.append(old["version"])
            prepared.changed[new["id"]] = ((keys, params), log, entry)
        if progress is not None:
            progress(len(part))


def prepare_update(
    session,
    model: type,
    updates: dict[int, dict],
    progress: Callable[[int], None] | None = None,
    actor: Actor | None = None,
) -> PreparedUpdate:
    """Everything an update of the records ``updates`` names needs, computed
    before the write transaction: previous values, changes, entries, parameters.
    ``LookupError`` if a record is missing."""
    session.flush()
    prepared = PreparedUpdate(EntryWriter(session, model, actor), updates)
    with _reading(session) as reader:
        _prepare_changes(prepared, reader, sorted(updates), progress)
    return prepared


def update_records(
    session,
    model: type,
    updates: dict[int, dict],
    progress: Callable[[int], None] | None = None,
    actor: Actor | None = None,
) -> int:
    """Set the given attributes of the records ``updates`` names; the count changed.

    As the unit of work would: a record whose values do not change is left
    alone; a changed one gets ``version + 1`` and ``updated_at``, an update
    entry in the history (previous and new values) and, when a searched column
    changed, its search entry rewritten. Prepared before the write transaction;
    in it, a record whose version moved meanwhile is read and prepared again,
    so the previous values are those replaced; each UPDATE keeps its
    ``version =`` guard (on PostgreSQL a change after the check fails it).
    Raises ``LookupError`` if a record vanished or the guard failed. The
    caller commits.
    """
    return prepare_update(session, model, updates, progress, actor).write(session)
