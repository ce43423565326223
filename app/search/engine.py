"""Searching the index: SQLite FTS5 or PostgreSQL full text, same answers.

- SQLite: ``search_fts`` (FTS5, ``unicode61 remove_diacritics 2``, prefix
  indexes) over ``search_entry``; words are prefixes (``"bréh"*``), numbers
  exact, phrases quoted; ranked by bm25 with the title ten times the body.
- PostgreSQL: ``search_entry.vector`` (GIN), the title and body through two
  configurations, both unaccented: ``cdpl_french`` (French word forms:
  "logiciel libre" finds "logiciels libres") and ``cdpl_simple`` (whole words,
  for prefixes and phrases); ranked by ts_rank.

Both columns and configurations are made by migration 0014.
On PostgreSQL each record type also has its own index of vectors (partial
GIN, migration 0024), which list searches reach by naming their types in
clear (``_of_types``); the global search keeps the index of every entry.

An entry's id carries its record type (``IndexSpec.entry_id``: code × 2³² +
record id, migration 0023). On SQLite the FTS5 table's rowid is that id, so a
match is narrowed to some record types, and turned into record ids, without
reading one ``search_entry`` row: "preparation" matches 4,350 entries, of
which 2,174 meetings, and reading each entry to know its type cost 9 to 12 ms
of a meeting search, against under 1 ms for the match itself.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from app.models.search import SearchEntry
from app.search.query import Query, fold, is_number, parse
from app.search.registry import (
    ID_SHIFT,
    RECORD_ID_LIMIT,
    IndexSpec,
    spec_for_code,
    spec_for_type,
)

ENTRY = SearchEntry.__table__
#: Results shown per record type in the global search.
PER_TYPE = 5
#: Above this many matches of one type, that type shows its newest matches:
#: ranking every one ("réunion" in 20,000 meetings) would cost more than the
#: page may take.
RANK_LIMIT = 1000
#: Characters of context around the first match in an extract.
EXTRACT_CHARS = 160

_FTS = sa.table("search_fts", sa.column("rowid", sa.Integer))
#: A record type's name (a table name), written out in PostgreSQL queries.
_TYPE_NAME = re.compile(r"[a-z_]+")


def _dialect(session) -> str:
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


def _fts5_match(query: Query):
    return sa.literal_column("search_fts").op("MATCH")(
        sa.literal(fts5_expression(query), sa.Text)
    )


def _specs(record_types: list[str]) -> list[IndexSpec]:
    return [spec for t in record_types if (spec := spec_for_type(t)) is not None]


def _fts_code():
    """The record type's code of an FTS5 row (its rowid is the entry's id)."""
    return _FTS.c.rowid.op(">>", return_type=sa.Integer)(ID_SHIFT)


def _fts_record_id():
    """The record id of an FTS5 row."""
    return _FTS.c.rowid.op("&", return_type=sa.Integer)(RECORD_ID_LIMIT - 1)


def _fts_of(specs: list[IndexSpec]):
    """The FTS5 rows of these record types, told by their rowid alone.

    One type is a range of rowids, which FTS5 applies while reading the
    match; several, a test of each matching row's code.
    """
    if not specs:
        return sa.false()
    if len(specs) == 1:
        low = specs[0].first_entry_id
        return sa.and_(_FTS.c.rowid >= low, _FTS.c.rowid < low + RECORD_ID_LIMIT)
    return _fts_code().in_(sorted(spec.code for spec in specs))


# ----- shared
def record_ids(session, query: Query, record_type: str):
    """Ids of the ``record_type`` records matching ``query`` (a subquery, for
    ``Model.id.in_(...)``). ``query`` must not be empty."""
    if _dialect(session) == "sqlite":
        specs = _specs([record_type])
        return sa.select(_fts_record_id().label("record_id")).where(
            _fts5_match(query), _fts_of(specs)
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
    for spec in _specs(list(record_types)):
        found = (
            sa.select(_fts_record_id().label("record_id"))
            .where(match, _fts_of([spec]))
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
    if _dialect(session) == "sqlite":
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
    if _dialect(session) == "sqlite":
        # ``rowid + 0``: FTS5 would otherwise run the match once per listed id
        # (0.3 ms each for a prefix such as "synthese"*: 2.3 s for 8,000
        # entries), where reading the match once and testing each of its
        # rows costs 8 ms for 4,500 of them, 40 ms for "la"* (63,000).
        stmt = sa.select(_FTS.c.rowid).where(
            _fts5_match(query), within(_FTS.c.rowid + 0)
        )
    else:
        from app.search import tsquery  # PostgreSQL only (see _of_types)

        stmt = sa.select(ENTRY.c.id).where(within(ENTRY.c.id), tsquery.matches(query))
    return set(session.execute(stmt).scalars())


def any_entry_matching(session, query: Query, record_types: list[str]) -> bool:
    """Whether an index entry of one of ``record_types`` matches ``query``.

    On SQLite the match's rowids tell their record types: no entry is read.
    """
    if _dialect(session) == "sqlite":
        stmt = sa.select(_FTS.c.rowid).where(
            _fts5_match(query), _fts_of(_specs(record_types))
        )
    else:
        stmt = sa.select(ENTRY.c.id).where(_of_types(query, record_types))
    return session.execute(stmt.limit(1)).first() is not None


@dataclass
class Hit:
    record: object
    record_id: int
    label: str
    extract: Markup


@dataclass
class Group:
    spec: IndexSpec
    total: int
    hits: list[Hit] = field(default_factory=list)


@dataclass
class Results:
    query: Query
    groups: list[Group] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)


def _counts(session, query: Query, types: list[str]) -> dict[str, int]:
    if _dialect(session) == "sqlite":
        stmt = (
            sa.select(_fts_code(), sa.func.count())
            .where(_fts5_match(query), _fts_of(_specs(types)))
            .group_by(_fts_code())
        )
        return {
            spec.record_type: count
            for code, count in session.execute(stmt).all()
            if (spec := spec_for_code(code)) is not None
        }
    from app.search import tsquery  # PostgreSQL only (see _of_types)

    stmt = (
        sa.select(ENTRY.c.record_type, sa.func.count())
        .where(tsquery.matches(query), ENTRY.c.record_type.in_(types))
        .group_by(ENTRY.c.record_type)
    )
    return dict(session.execute(stmt).all())


def _newest(session, query: Query, record_type: str, per_type: int):
    columns = (ENTRY.c.record_type, ENTRY.c.record_id, ENTRY.c.title, ENTRY.c.body)
    if _dialect(session) == "sqlite":
        # The newest matches are the highest rowids of the type's range, which
        # FTS5 reads in that order: only those few entries are read.
        newest = (
            sa.select(_FTS.c.rowid)
            .where(_fts5_match(query), _fts_of(_specs([record_type])))
            .order_by(_FTS.c.rowid.desc())
            .limit(per_type)
        )
        stmt = sa.select(*columns).where(ENTRY.c.id.in_(newest))
    else:
        from app.search import tsquery  # PostgreSQL only (see _of_types)

        stmt = sa.select(*columns).where(
            ENTRY.c.record_type == record_type, tsquery.matches(query)
        )
    stmt = stmt.order_by(ENTRY.c.record_id.desc()).limit(per_type)
    return session.execute(stmt).all()


def _ranked(session, query: Query, types: list[str], per_type: int):
    """(record_type, record_id, title, body) of the best entries of each type."""
    columns = (ENTRY.c.record_type, ENTRY.c.record_id, ENTRY.c.title, ENTRY.c.body)
    if _dialect(session) == "sqlite":
        # bm25() is only allowed in the query on the FTS table itself, not in a
        # window: the score is computed one level down. Lower is better.
        score = sa.func.bm25(sa.literal_column("search_fts"), 10.0, 1.0)
        scored = (
            sa.select(*columns, score.label("score"))
            .select_from(_FTS.join(ENTRY, ENTRY.c.id == _FTS.c.rowid))
            # Entries of other types are not even read (see the module docstring).
            .where(_fts5_match(query), _fts_of(_specs(types)))
        )
    else:
        from app.search import tsquery  # PostgreSQL only (see _of_types)

        score = -tsquery.rank(query)
        scored = sa.select(*columns, score.label("score")).where(
            tsquery.matches(query), ENTRY.c.record_type.in_(types)
        )
    scored = scored.subquery()
    ranked = sa.select(
        scored.c.record_type,
        scored.c.record_id,
        scored.c.title,
        scored.c.body,
        sa.func.row_number()
        .over(
            partition_by=scored.c.record_type,
            order_by=(scored.c.score, scored.c.record_id),
        )
        .label("position"),
    ).subquery()
    stmt = (
        sa.select(ranked)
        .where(ranked.c.position <= per_type)
        .order_by(ranked.c.record_type, ranked.c.position)
    )
    return session.execute(stmt).all()


def _by_number(session, spec: IndexSpec, number: int) -> list[int]:
    column = getattr(spec.model, spec.number)
    pk = sa.inspect(spec.model).primary_key[0]
    return list(session.execute(sa.select(pk).where(column == number)).scalars())


def _load(session, spec: IndexSpec, ids: list[int]) -> dict[int, object]:
    model = spec.model
    options = [
        joinedload(getattr(model, rel))
        for rel in getattr(model, "__str_relations__", ())
    ]
    rows = session.execute(
        sa.select(model).where(model.id.in_(ids)).options(*options)
    ).unique()
    return {obj.id: obj for obj in rows.scalars()}


def search(
    session, text: str | Query, types: list[str], per_type: int = PER_TYPE
) -> Results:
    """The best ``per_type`` records of each of ``types`` matching ``text``.

    Groups come in the order of ``types`` (only those with results); inside a
    group, records whose declared number equals a number query ("action 12")
    first, then by relevance (newest first for a type with more than
    RANK_LIMIT matches).
    """
    query = text if isinstance(text, Query) else parse(text)
    results = Results(query=query)
    if query.empty or not types:
        return results
    totals = _counts(session, query, types)
    ranked = [t for t in types if 0 < totals.get(t, 0) <= RANK_LIMIT]
    rows: dict[str, list] = {}
    if ranked:
        for row in _ranked(session, query, ranked, per_type):
            rows.setdefault(row.record_type, []).append(row)
    for record_type in types:
        if totals.get(record_type, 0) > RANK_LIMIT:
            rows[record_type] = _newest(session, query, record_type, per_type)
    for record_type in types:
        spec = spec_for_type(record_type)
        if spec is None:
            continue
        found = rows.get(record_type, [])
        texts = {r.record_id: (r.title or "", r.body or "") for r in found}
        ids = [r.record_id for r in found]
        if query.number is not None and spec.number:
            exact = _by_number(session, spec, query.number)
            extra = [i for i in exact if i not in texts]
            ids = exact + [i for i in ids if i not in exact]
            totals[record_type] = totals.get(record_type, 0) + len(extra)
            ids = ids[: max(per_type, len(exact))]
        if not ids:
            continue
        objects = _load(session, spec, ids)
        group = Group(spec=spec, total=totals.get(record_type, 0))
        for record_id in ids:
            obj = objects.get(record_id)
            if obj is None:  # deleted meanwhile
                continue
            title, body = texts.get(record_id) or spec.texts(obj)
            group.hits.append(
                Hit(
                    record=obj,
                    record_id=record_id,
                    label=str(obj),
                    extract=extract(f"{title}\n{body}", query),
                )
            )
        if group.hits:
            results.groups.append(group)
    return results


def _term_pattern(query: Query) -> re.Pattern | None:
    terms = sorted({fold(t) for t in query.terms() if t}, key=len, reverse=True)
    if not terms:
        return None
    alternatives = "|".join(
        re.escape(t) + (r"\b" if is_number(t) else r"\w*") for t in terms
    )
    return re.compile(rf"\b(?:{alternatives})")


def extract(text: str, query: Query, size: int = EXTRACT_CHARS) -> Markup:
    """A short piece of ``text`` around the first match, matched words in <mark>.

    Matching ignores case and accents, as the index does; the words shown are
    the record's own, escaped.
    """
    text = " ".join(text.split())
    pattern = _term_pattern(query)
    folded = fold(text)
    first = pattern.search(folded) if pattern else None
    start = 0
    if first and first.start() > size // 3:
        start = text.rfind(" ", 0, first.start() - size // 3) + 1
    end = min(len(text), start + size)
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    out = Markup("…") if start > 0 else Markup("")
    position = start
    if pattern:
        for found in pattern.finditer(folded, start, end):
            out += escape(text[position : found.start()])
            out += Markup("<mark>{}</mark>").format(text[found.start() : found.end()])
            position = found.end()
    out += escape(text[position:end])
    if end < len(text):
        out += Markup("…")
    return out
