"""Plain SQL statements of the bulk writes (``app.exports.bulk``), per database.

Parameters are bound before the write transaction (:class:`Params`); in it,
:func:`insert_many` and :func:`update_many` only send them: on SQLite 500 rows
to an ``INSERT`` (the FTS5 triggers of ``search_entry`` flush the index once
per statement), on PostgreSQL ``COPY`` (and a temporary table for updates).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

#: Values prepared at a time (progress is reported after each).
CHUNK = 2000
#: Rows per multi-row INSERT, ids per ``IN (…)`` list.
ROWS_PER_STATEMENT = 500
#: Bound parameters per statement at most: SQLite allows 32,766 since 3.32,
#: 999 before (PostgreSQL's COPY has no such limit).
MAX_PARAMS = 30000 if sqlite3.sqlite_version_info >= (3, 32) else 999


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Params:
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


def insert_many(conn, table: sa.Table, keys: tuple[str, ...], rows: list[list]):
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
    for part in chunks(rows, per):
        flat = tuple(value for row in part for value in row)
        conn.exec_driver_sql(head + ", ".join([one] * len(part)), flat)


def update_many(conn, table: sa.Table, keys: tuple[str, ...], rows: list[list]):
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
    for part in chunks(rows):
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


#: SQLite page cache of a bulk write, in KiB (the default is 2 MiB): a large
#: transaction that outgrows the cache spills pages to the WAL while it runs,
#: and index inserts then read and rewrite them again and again.
BULK_CACHE_KIB = 256 * 1024


@contextmanager
def large_cache(conn) -> Iterator[None]:
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


def new_ids(conn, table, count: int) -> list[int]:
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
