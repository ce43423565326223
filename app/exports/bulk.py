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
  import), then multi-row ``INSERT`` statements (``COPY`` on PostgreSQL)
  and an executemany ``UPDATE``.

On SQLite rows go 500 to an ``INSERT`` rather than one per execution: the
FTS5 table behind ``search_entry`` (triggers of migration 0014) flushes its
pending terms at the end of every statement, so an executemany wrote one index
segment per row and made the search entries the dearest part of the write
(1.5 s for 20,000 rows, 0.2 s in statements of 500).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import attributes, scoped_session

from app.db import note_bulk_write, read_session
from app.history.actor import Actor, current_actor
from app.history.recorder import (
    BATCH_KEY,
    BOOKKEEPING,
    NOTE_KEY,
    SILENT,
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

#: Values prepared at a time (progress is reported after each).
CHUNK = 2000
#: Rows per multi-row INSERT, ids per ``IN (…)`` list.
ROWS_PER_STATEMENT = 500
#: Bound parameters per statement at most (SQLite allows 32,766, PostgreSQL 65,535).
MAX_PARAMS = 30000
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
ENTRY_KEYS = ("record_type", "record_id", "title", "body")
_LOG_ID, _LOG_LABEL, _LOG_SNAPSHOT = (
    LOG_KEYS.index("record_id"),
    LOG_KEYS.index("record_label"),
    LOG_KEYS.index("snapshot"),
)
#: How a new record's snapshot reads before its id is known (``json.dumps``
#: writes a key as ``"id": null``; a quote inside a value is escaped, so this
#: text can only be the top-level key).
_NO_ID = json.dumps({"id": None})[1:-1]


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Params:
    """Some columns of a table as the DB-API driver takes them, in one order.

    The types' own bind processors (those an executemany would run inside the
    transaction) run here, during the preparation; JSON is encoded as the
    ``JSON`` type does (``json.dumps``), as text on both databases.
    """

    def __init__(self, dialect, table: sa.Table, keys: Iterable[str]):
        self.keys = tuple(keys)
        self.columns = [table.c[k] for k in self.keys]
        self.processors = [
            json.dumps
            if isinstance(c.type, sa.JSON)
            else c.type.dialect_impl(dialect).bind_processor(dialect)
            for c in self.columns
        ]

    def row(self, values: dict) -> list:
        return [
            value if process is None else process(value)
            for process, value in zip(
                self.processors, (values.get(k) for k in self.keys), strict=True
            )
        ]


def _mark(dialect) -> str:
    return "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"


def _insert_many(conn, table: sa.Table, keys: tuple[str, ...], rows: list[list]):
    """INSERT ``rows`` (parameters in ``keys`` order).

    On SQLite many rows per statement (FTS5 flushes once per statement). On
    PostgreSQL a ``COPY … FROM STDIN`` on the session's own connection, in its
    transaction: half the time of a pipelined executemany, a third of
    statements of 500 rows (each planned anew for its parameter types).
    """
    if not rows:
        return
    quote = conn.dialect.identifier_preparer
    names = ", ".join(quote.quote(table.c[k].name) for k in keys)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            with cursor.copy(
                f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    one = "(" + ", ".join([_mark(conn.dialect)] * len(keys)) + ")"
    head = f"INSERT INTO {quote.format_table(table)} ({names}) VALUES "
    per = max(1, min(ROWS_PER_STATEMENT, MAX_PARAMS // max(1, len(keys))))
    for part in _chunks(rows, per):
        flat = tuple(value for row in part for value in row)
        conn.exec_driver_sql(head + ", ".join([one] * len(part)), flat)


def _update_many(conn, table: sa.Table, keys: tuple[str, ...], rows: list[list]):
    """UPDATE one row per parameter list: ``keys`` set, then ``id`` (and the
    version read) last; ``LookupError`` if a row was not where expected."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer
    if conn.dialect.name == "postgresql":
        _update_by_copy(conn, table, keys, rows)
        return
    mark = _mark(conn.dialect)
    sets = ", ".join(f"{quote.quote(table.c[k].name)} = {mark}" for k in keys)
    where = f"id = {mark}" + (f" AND version = {mark}" if "version" in table.c else "")
    sql = f"UPDATE {quote.format_table(table)} SET {sets} WHERE {where}"
    for part in _chunks(rows):
        done = conn.exec_driver_sql(sql, [tuple(r) for r in part])
        if conn.dialect.supports_sane_multi_rowcount and done.rowcount != len(part):
            raise LookupError("a record to update changed meanwhile")


def _update_by_copy(conn, table: sa.Table, keys: tuple[str, ...], rows: list[list]):
    """PostgreSQL: the new values copied into a temporary table of the same
    column types, then one ``UPDATE … FROM`` it (an executemany took 30 s for
    100,000 rows on a loaded machine)."""
    quote = conn.dialect.identifier_preparer
    target = quote.format_table(table)
    columns = [quote.quote(table.c[k].name) for k in keys]
    versioned = "version" in table.c
    new = "cdpl_bulk_update"
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {new} ON COMMIT DROP AS SELECT "
        + ", ".join(
            [*columns, "id AS b_id"] + (["version AS b_version"] if versioned else [])
        )
        + f" FROM {target} WITH NO DATA"
    )
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f"COPY {new} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()
    where = f"{target}.id = {new}.b_id"
    if versioned:
        where += f" AND {target}.version = {new}.b_version"
    done = conn.exec_driver_sql(
        f"UPDATE {target} SET "
        + ", ".join(f"{c} = {new}.{c}" for c in columns)
        + f" FROM {new} WHERE {where}"
    )
    conn.exec_driver_sql(f"DROP TABLE {new}")
    if done.rowcount != len(rows):
        raise LookupError("a record to update changed meanwhile")


class _Writer:
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
        self.log_params = _Params(self.dialect, LOG, LOG_KEYS)
        self.entry_params = _Params(self.dialect, ENTRY, ENTRY_KEYS)
        self._params: dict[tuple[str, ...], _Params] = {}
        #: Objects of the related records, by relation: labels read them.
        self.related: dict[str, dict] = {}

    def params(self, keys: tuple[str, ...]) -> _Params:
        if keys not in self._params:
            self._params[keys] = _Params(self.dialect, self.table, keys)
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
            for part in _chunks(wanted, ROWS_PER_STATEMENT):
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
            entry = self.entry_params.row(
                {
                    "record_type": self.spec.record_type,
                    "record_id": values.get("id"),
                    "title": title,
                    "body": body,
                }
            )
        return log, entry, obj

    def write_entries(self, conn, logs: list, entries: list, stale: list[int]):
        """Replace the search entries of ``stale`` records, add the new rows."""
        if self.spec is not None:
            for part in _chunks(stale, ROWS_PER_STATEMENT):
                conn.execute(
                    ENTRY.delete().where(
                        ENTRY.c.record_type == self.spec.record_type,
                        ENTRY.c.record_id.in_(part),
                    )
                )
        _insert_many(conn, ENTRY, ENTRY_KEYS, [e for e in entries if e is not None])
        _insert_many(conn, LOG, LOG_KEYS, [row for row in logs if row is not None])


#: SQLite page cache of a bulk write, in KiB (the default is 2 MiB): a large
#: transaction that outgrows the cache spills pages to the WAL while it runs,
#: and index inserts then read and rewrite them again and again.
BULK_CACHE_KIB = 256 * 1024


@contextmanager
def _large_cache(conn) -> Iterator[None]:
    """A larger SQLite page cache during the block, the previous one after."""
    if conn.dialect.name != "sqlite":
        yield
        return
    previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        # The pooled connection must not keep the memory; the dirty pages go
        # to the WAL now rather than at the commit.
        conn.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")


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


def _new_ids(conn, table, count: int) -> list[int]:
    """Ids for ``count`` new rows, taken in the write transaction."""
    if not count:
        return []
    if conn.dialect.name == "postgresql":
        seq = conn.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        ).scalar()
        return list(
            conn.execute(
                sa.text("SELECT nextval(:s) FROM generate_series(1, :n)"),
                {"s": seq, "n": count},
            ).scalars()
        )
    # SQLite: the write lock is held from the first statement (BEGIN
    # IMMEDIATE), so nobody else takes these ids meanwhile.
    last = conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
    return list(range(last + 1, last + 1 + count))


def _creation_changes(writer: _Writer, value: dict) -> dict:
    dumped = {k: dump(value.get(k)) for k in writer.keys}
    return {
        k: [None, v]
        for k, v in dumped.items()
        if k not in SILENT and v not in (None, [], False)
    }


@dataclass
class PreparedInsert:
    """New records ready to write: :meth:`write` in the write transaction."""

    writer: _Writer
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
        with _large_cache(conn):
            ids = _new_ids(conn, table, len(self.values))
            for record_id, value, row in zip(ids, self.values, self.rows, strict=True):
                value["id"] = record_id
                row[0] = record_id
            if not self.unknown:
                self._number_entries(ids)
            groups: dict[tuple[str, ...], list[list]] = {}
            for value, row in zip(self.values, self.rows, strict=True):
                groups.setdefault(_keys_of(value), []).append(row)
            for keys, rows in groups.items():
                _insert_many(conn, table, keys, rows)
            if self.unknown:  # columns set by the database: read back for the history
                by_id = {v["id"]: v for v in self.values}
                for part in _chunks(ids, ROWS_PER_STATEMENT):
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
                log[_LOG_ID] = record_id
                log[_LOG_SNAPSHOT] = log[_LOG_SNAPSHOT].replace(
                    _NO_ID, f'"id": {record_id}', 1
                )
                if "None" in log[_LOG_LABEL]:  # a label made of the id ("n° 12")
                    obj.__dict__["id"] = record_id
                    log[_LOG_LABEL] = _label(obj)
            if entry is not None:
                entry[1] = record_id


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
    writer = _Writer(session, model, actor)
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
    for part in _chunks(values):
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

    writer: _Writer
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
        with _large_cache(conn):
            moved = []
            for part in _chunks(sorted(self.seen), ROWS_PER_STATEMENT):
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
                _update_many(conn, table, keys, rows)
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
    for part in _chunks(ids):
        old_rows = {}
        for ids_part in _chunks(part, ROWS_PER_STATEMENT):
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
    prepared = PreparedUpdate(_Writer(session, model, actor), updates)
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
