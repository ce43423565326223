"""Bulk writes for imports: Core statements, with their history and search entries.

The unit of work costs about a millisecond per record (object state, two
session hooks, one ``str()`` per record that may load a relation): a 100,000-row
import held SQLite's write lock for more than a minute. Here the records are
written with executemany INSERT/UPDATE statements on the session's connection,
and the change-log rows and search entries are computed from the same values
and written the same way, in the same transaction: they are those the session
hooks (``app.history.recorder``, ``app.search.indexer``) would have written
for the same change, field for field (``tests/test_import_bulk.py`` compares).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import attributes

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

#: Rows per statement (SQLAlchemy splits each executemany further as needed).
CHUNK = 2000
ENTRY = SearchEntry.__table__


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_keys(rows: list[dict]) -> dict[frozenset, list[dict]]:
    """Rows grouped by the columns they set (an executemany sets the same ones)."""
    groups: dict[frozenset, list[dict]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(row)
    return groups


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
        self.history: list[dict] = []
        self.objects: list = []
        self.entries: list[dict] = []
        self.stale_entries: list[dict] = []
        #: Objects of the related records, by relation: labels read them.
        self.related: dict[str, dict] = {}

    @property
    def conn(self):
        """The session's connection: the write transaction starts at first use."""
        return self.session.connection()

    # ----- labels: a detached object carrying the record's values and relations
    def load_related(self, values: list[dict], session=None) -> None:
        """Load the many-to-one targets the new values point to (labels read them)."""
        session = session or self.session
        for rel in self.mapper.relationships:
            if rel.direction.name != "MANYTOONE" or len(rel.local_columns) != 1:
                continue
            column = next(iter(rel.local_columns))
            ids = sorted({v[column.key] for v in values if v.get(column.key)})
            cache = self.related.setdefault(rel.key, {})
            target = rel.mapper.class_
            wanted = [i for i in ids if i not in cache]
            for part in _chunks(wanted, 500):
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
        obj = None
        if self.tracked:
            obj = self._object(values)
            snap = {key: dump(values.get(key)) for key in self.keys}
            for key in self.collections:
                snap[key] = []
            self.objects.append(obj)
            self.history.append(
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
            entry = {
                "record_type": self.spec.record_type,
                "record_id": values.get("id"),
                "title": title,
                "body": body,
            }
            self.entries.append(entry)
            if kind == "update":
                self.stale_entries.append(
                    {"b_type": entry["record_type"], "b_id": entry["record_id"]}
                )

    def write(self) -> None:
        if self.stale_entries:
            stmt = ENTRY.delete().where(
                ENTRY.c.record_type == sa.bindparam("b_type"),
                ENTRY.c.record_id == sa.bindparam("b_id"),
            )
            for part in _chunks(self.stale_entries):
                self.conn.execute(stmt, part)
        for part in _chunks(self.entries):
            self.conn.execute(ENTRY.insert(), part)
        for part in _chunks(self.history):
            self.conn.execute(ChangeLog.__table__.insert(), part)


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
    session.flush()
    writer = _Writer(session, model, actor)
    table = writer.table
    # Everything but the statements is done before the write transaction
    # starts (defaults, labels, snapshots, search texts): the lock is held for
    # the writes alone. The ids come last, inside it.
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
        values.append(value)
    if not unknown:
        with read_session() as reader:
            writer.load_related(values, reader)
            reader.expunge_all()  # the labels read them after the rollback
        for value in values:
            writer.add("create", value, _creation_changes(writer, value), True)
    with _large_cache(writer.conn):
        ids = _new_ids(writer.conn, table, len(rows))
        for record_id, value in zip(ids, values, strict=True):
            value["id"] = record_id
        for history, obj, record_id in zip(
            writer.history, writer.objects, ids, strict=False
        ):
            history["record_id"] = record_id
            history["snapshot"]["id"] = record_id
            if "None" in history["record_label"]:  # a label made of the id ("n° 12")
                obj.__dict__["id"] = record_id
                history["record_label"] = _label(obj)
        for entry, record_id in zip(writer.entries, ids, strict=False):
            entry["record_id"] = record_id
        # A plain executemany: many times faster than INSERT … RETURNING, which
        # SQLAlchemy runs row by row when the order of the ids must be kept.
        for group in _by_keys(values).values():
            for part in _chunks(group):
                writer.conn.execute(table.insert(), part)
                if progress is not None:
                    progress(len(part))
        if unknown:  # columns set by the database: read back for the history
            by_id = {v["id"]: v for v in values}
            for part in _chunks(ids, 500):
                stmt = sa.select(table.c.id, *[table.c[k] for k in unknown]).where(
                    table.c.id.in_(part)
                )
                for db_row in writer.conn.execute(stmt).mappings():
                    for key in unknown:
                        by_id[db_row["id"]].setdefault(key, db_row[key])
            writer.load_related(values)
            for value in values:
                writer.add("create", value, _creation_changes(writer, value), True)
        writer.write()
    if ids:
        note_bulk_write(session, model)
    return ids


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
    changed, its search entry rewritten. The records are read again in the
    write transaction (locked on PostgreSQL), so the previous values are those
    replaced. Raises ``LookupError`` if a record vanished. The caller commits.
    """
    session.flush()
    writer = _Writer(session, model, actor)
    table = writer.table
    timestamped = "version" in table.c and "updated_at" in table.c
    searched = set(writer.spec.columns) if writer.spec is not None else set()
    ids = sorted(updates)
    changed_rows: list[dict] = []
    with _large_cache(writer.conn):
        for part in _chunks(ids, 500):
            stmt = sa.select(table).where(table.c.id.in_(part))
            if writer.conn.dialect.name == "postgresql":
                stmt = stmt.with_for_update()
            old_rows = {r["id"]: dict(r) for r in writer.conn.execute(stmt).mappings()}
            if len(old_rows) != len(part):
                raise LookupError("a record to update was deleted meanwhile")
            values_part = []
            for record_id in part:
                old = old_rows[record_id]
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
            writer.load_related([v[0] for v in values_part])
            for new, changes, old, given in values_part:
                writer.add(
                    "update", new, changes, search_changed=bool(searched & set(changes))
                )
                params = {f"v_{k}": v for k, v in given.items()}
                params["b_id"] = new["id"]
                if timestamped:
                    params |= {
                        "b_version": old["version"],
                        "v_version": new["version"],
                        "v_updated_at": new["updated_at"],
                    }
                changed_rows.append(params)
            if progress is not None:
                progress(len(part))
        for keys, group in _by_keys(changed_rows).items():
            where = [table.c.id == sa.bindparam("b_id")]
            if timestamped:
                where.append(table.c.version == sa.bindparam("b_version"))
            stmt = (
                table.update()
                .where(*where)
                .values({k[2:]: sa.bindparam(k) for k in keys if k.startswith("v_")})
            )
            for part in _chunks(group):
                writer.conn.execute(stmt, part)
        writer.write()
    if changed_rows:
        note_bulk_write(session, model)
    # Objects of these records already in the session would show old values.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model) and obj.id in updates:
            session.expire(obj)
    return len(changed_rows)
