"""Which records match a search: the index asked by list searches and pickers.

The database-specific matching (SQLite FTS5, PostgreSQL full text; see
``app.search.engine`` for both index structures): what ``record_ids``,
``typed_record_keys``, ``entries_matching`` and ``any_entry_matching`` give
``app.admin.search_keys``, the pickers and the labels; ``engine``'s global
search builds on the same pieces (``fts5_match``, ``fts_of``, ``fts_code``).

An entry's id carries its record type (``IndexSpec.entry_id``: code × 2³² +
record id, migration 0023). On SQLite the FTS5 table's rowid is that id, so a
match is narrowed to some record types, and turned into record ids, without
reading one ``search_entry`` row. On PostgreSQL each type has its own index of
vectors (migration 0024), reached by naming the types in clear (``_of_types``).
"""

from __future__ import annotations

import functools
import json
import re

import sqlalchemy as sa

from app.models.search import SearchEntry
from app.search.query import Query, is_number
from app.search.registry import ID_SHIFT, RECORD_ID_LIMIT, IndexSpec, spec_for_type

ENTRY = SearchEntry.__table__
#: SQLite's FTS5 table (migration 0014), its rowid an entry's id.
FTS = sa.table("search_fts", sa.column("rowid", sa.Integer))
#: A record type's name (a table name), written out in PostgreSQL queries.
_TYPE_NAME = re.compile(r"[a-z_]+")


def dialect(session) -> str:
    return session.get_bind().dialect.name


# ----- SQLite: an FTS5 MATCH expression
def fts5_expression(query: Query) -> str:
    """The MATCH text: every word a quoted prefix, numbers exact, phrases quoted.

    Words hold only letters and digits (``app.search.query``), so quoting
    cannot be escaped and no FTS5 operator survives.
    """
    parts = [f'"{w}"' if is_number(w) else f'"{w}"*' for w in query.words]
    parts += ['"' + " ".join(p) + '"' for p in query.phrases]
    return " ".join(parts)


def fts5_match(query: Query):
    return sa.literal_column("search_fts").op("MATCH")(
        sa.literal(fts5_expression(query), sa.Text)
    )


def specs_of(record_types: list[str]) -> list[IndexSpec]:
    return [spec for t in record_types if (spec := spec_for_type(t)) is not None]


def fts_code():
    """The record type's code of an FTS5 row (its rowid is the entry's id)."""
    return FTS.c.rowid.op(">>", return_type=sa.Integer)(ID_SHIFT)


def _fts_record_id():
    """The record id of an FTS5 row."""
    return FTS.c.rowid.op("&", return_type=sa.Integer)(RECORD_ID_LIMIT - 1)


def fts_of(specs: list[IndexSpec]):
    """The FTS5 rows of these record types, told by their rowid alone.

    One type is a range of rowids, which FTS5 applies while reading the
    match; several, a test of each matching row's code.
    """
    if not specs:
        return sa.false()
    if len(specs) == 1:
        low = specs[0].first_entry_id
        return sa.and_(FTS.c.rowid >= low, FTS.c.rowid < low + RECORD_ID_LIMIT)
    return fts_code().in_(sorted(spec.code for spec in specs))


# ----- shared
def record_ids(session, query: Query, record_type: str):
    """Ids of the ``record_type`` records matching ``query`` (a subquery, for
    ``Model.id.in_(...)``). ``query`` must not be empty."""
    if dialect(session) == "sqlite":
        specs = specs_of([record_type])
        return sa.select(_fts_record_id().label("record_id")).where(
            fts5_match(query), fts_of(specs)
        )
    return sa.select(ENTRY.c.record_id).where(_of_types(query, [record_type]))


def _of_types(query: Query, record_types: list[str]):
    """PostgreSQL: the entries of ``record_types`` matching ``query``, one type
    at a time (``record_type = 'meeting' AND vector @@ q OR …``), each type
    written out so that the planner uses that type's own index of vectors
    (migration 0024; a plan for any value of a bound parameter could not):
    "preparation" in the meetings and their groups reads 2,174 entries
    instead of the 10,275 of every type (5.1 → 2.7 ms)."""
    # Imported here, as below: its types load SQLAlchemy's PostgreSQL dialect
    # (~2.3 MB), which an SQLite process never needs.
    from app.search import tsquery

    branches = []
    for record_type in record_types:
        if not _TYPE_NAME.fullmatch(record_type):  # a table name, never typed
            raise ValueError(f"not a record type: {record_type!r}")
        literal = sa.literal_column(f"'{record_type}'", sa.String)
        branches.append(sa.and_(ENTRY.c.record_type == literal, tsquery.matches(query)))
    return sa.or_(*branches) if branches else sa.false()


def _typed_record_ids(session, query: Query, record_types: list[str]):
    """(record_type, record_id) of the PostgreSQL records of ``record_types``
    matching ``query`` (a select): one pass over the matching entries for
    several types. ``query`` must not be empty."""
    return sa.select(ENTRY.c.record_type, ENTRY.c.record_id).where(
        _of_types(query, record_types)
    )


#: The MATCH text of a statement built once (``_typed_keys_sqlite``).
_MATCH_TEXT = sa.bindparam("fts_match", type_=sa.Text)


@functools.cache
def _typed_keys_sqlite(record_types: tuple[str, ...], limit: int):
    """The SQLite select of ``typed_record_keys``, built once per set of types
    (only the MATCH text changes, a bound parameter): building it cost more
    than running it (0.6 ms of a meeting search).

    One branch per type, each reading the rowids of its own range: FTS5 applies
    a rowid range while reading its match, where a test of each matching row's
    code reads them all ("preparation": 0.94 ms for the 4,350 entries, 0.53 ms
    for the 2,174 meetings and the groups' range). Each branch reads at most
    ``limit + 1`` rows, so that a word in 63,000 entries is not all read.
    """
    match = sa.literal_column("search_fts").op("MATCH")(_MATCH_TEXT)
    branches = []
    for spec in specs_of(list(record_types)):
        found = (
            sa.select(_fts_record_id().label("record_id"))
            .where(match, fts_of([spec]))
            .limit(limit + 1)
            .subquery()
        )
        branches.append(
            sa.select(
                sa.literal(spec.record_type, sa.Text).label("record_type"),
                sa.func.count().label("found"),
                sa.func.json_group_array(found.c.record_id).label("ids"),
            ).select_from(found)
        )
    return sa.union_all(*branches)


def typed_record_keys(
    session, query: Query, record_types: list[str], limit: int
) -> dict[str, list[int]] | None:
    """The ids of the records of ``record_types`` matching ``query``, by type,
    or None when more than ``limit`` match."""
    if dialect(session) == "sqlite":
        stmt = _typed_keys_sqlite(tuple(sorted(record_types)), limit)
        rows = session.execute(stmt, {"fts_match": fts5_expression(query)}).all()
    else:
        found = _typed_record_ids(session, query, record_types).limit(limit + 1)
        found = found.subquery()
        rows = session.execute(
            sa.select(
                found.c.record_type,
                sa.func.count(),
                sa.func.json_agg(found.c.record_id),
            ).group_by(found.c.record_type)
        ).all()
    # One row per type, its ids a JSON array that the database builds: on
    # SQLite, the 2,174 meetings of "preparation" took 4.3 ms as rows of the
    # ORM's result, 1.3 ms as one array, query included.
    if sum(count for _, count, _ in rows) > limit:
        return None
    # SQLite gives the text; psycopg has already read PostgreSQL's json.
    return {
        t: json.loads(ids) if isinstance(ids, str) else ids
        for t, count, ids in rows
        if count
    }


def entries_matching(session, query: Query, within) -> set[int]:
    """Of the index entries whose id meets ``within(column)`` (a condition on
    the id column: a list's own key list), those matching ``query``.

    For a word too frequent to read all its records ("la": 63,000 entries),
    tested on the few entries of records already found: the full-text match
    itself is cheap, reading each matching entry to know its record is not.
    """
    if dialect(session) == "sqlite":
        # ``rowid + 0``: FTS5 would otherwise run the match once per listed id
        # (0.3 ms each for a prefix such as "synthese"*: 2.3 s for 8,000
        # entries), where reading the match once and testing each of its
        # rows costs 8 ms for 4,500 of them, 40 ms for "la"* (63,000).
        stmt = sa.select(FTS.c.rowid).where(fts5_match(query), within(FTS.c.rowid + 0))
    else:
        from app.search import tsquery  # PostgreSQL only (see _of_types)

        stmt = sa.select(ENTRY.c.id).where(within(ENTRY.c.id), tsquery.matches(query))
    return set(session.execute(stmt).scalars())


def any_entry_matching(session, query: Query, record_types: list[str]) -> bool:
    """Whether an index entry of one of ``record_types`` matches ``query``.

    On SQLite the match's rowids tell their record types: no entry is read.
    """
    if dialect(session) == "sqlite":
        stmt = sa.select(FTS.c.rowid).where(
            fts5_match(query), fts_of(specs_of(record_types))
        )
    else:
        stmt = sa.select(ENTRY.c.id).where(_of_types(query, record_types))
    return session.execute(stmt.limit(1)).first() is not None
