"""The global search: the best records of each type for what a person typed.

The index and its matching (SQLite FTS5, PostgreSQL full text) are described
in ``app.search.matching``; here, on top of them, the counts per type, the
best ``PER_TYPE`` entries of each (bm25 on SQLite with the title ten times the
body, ts_rank on PostgreSQL; the newest above RANK_LIMIT matches), a plan
action by its number, and the extracts with the matched words highlighted.

- SQLite: ``search_fts`` (FTS5, ``unicode61 remove_diacritics 2``, prefix
  indexes) over ``search_entry``; words are prefixes (``"bréh"*``), numbers
  exact, phrases quoted.
- PostgreSQL: ``search_entry.vector`` (GIN), the title and body through two
  configurations, both unaccented: ``cdpl_french`` (French word forms:
  "logiciel libre" finds "logiciels libres") and ``cdpl_simple`` (whole words,
  for prefixes and phrases). Both columns and configurations are made by
  migration 0014; each record type's own index of vectors by 0024.

The counts per type and the newest matches read the FTS5 rowids alone (an
entry's id carries its record, migration 0023): "preparation" matches 4,350
entries, and reading each one to know its type cost 9 to 12 ms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from app.search.matching import (
    ENTRY,
    FTS,
    dialect,
    fts5_match,
    fts_code,
    fts_of,
    specs_of,
)
from app.search.query import Query, fold, is_number, parse
from app.search.registry import IndexSpec, spec_for_code, spec_for_type

#: Results shown per record type in the global search.
PER_TYPE = 5
#: Above this many matches of one type, that type shows its newest matches:
#: ranking every one ("réunion" in 20,000 meetings) would cost more than the
#: page may take.
RANK_LIMIT = 1000
#: Characters of context around the first match in an extract.
EXTRACT_CHARS = 160


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
    if dialect(session) == "sqlite":
        stmt = (
            sa.select(fts_code(), sa.func.count())
            .where(fts5_match(query), fts_of(specs_of(types)))
            .group_by(fts_code())
        )
        return {
            spec.record_type: count
            for code, count in session.execute(stmt).all()
            if (spec := spec_for_code(code)) is not None
        }
    from app.search import tsquery  # PostgreSQL only (see matching._of_types)

    stmt = (
        sa.select(ENTRY.c.record_type, sa.func.count())
        .where(tsquery.matches(query), ENTRY.c.record_type.in_(types))
        .group_by(ENTRY.c.record_type)
    )
    return dict(session.execute(stmt).all())


def _newest(session, query: Query, record_type: str, per_type: int):
    columns = (ENTRY.c.record_type, ENTRY.c.record_id, ENTRY.c.title, ENTRY.c.body)
    if dialect(session) == "sqlite":
        # The newest matches are the highest rowids of the type's range, which
        # FTS5 reads in that order: only those few entries are read.
        newest = (
            sa.select(FTS.c.rowid)
            .where(fts5_match(query), fts_of(specs_of([record_type])))
            .order_by(FTS.c.rowid.desc())
            .limit(per_type)
        )
        stmt = sa.select(*columns).where(ENTRY.c.id.in_(newest))
    else:
        from app.search import tsquery  # PostgreSQL only (see matching._of_types)

        stmt = sa.select(*columns).where(
            ENTRY.c.record_type == record_type, tsquery.matches(query)
        )
    stmt = stmt.order_by(ENTRY.c.record_id.desc()).limit(per_type)
    return session.execute(stmt).all()


def _ranked(session, query: Query, types: list[str], per_type: int):
    """(record_type, record_id, title, body) of the best entries of each type."""
    columns = (ENTRY.c.record_type, ENTRY.c.record_id, ENTRY.c.title, ENTRY.c.body)
    if dialect(session) == "sqlite":
        # bm25() is only allowed in the query on the FTS table itself, not in a
        # window: the score is computed one level down. Lower is better.
        score = sa.func.bm25(sa.literal_column("search_fts"), 10.0, 1.0)
        scored = (
            sa.select(*columns, score.label("score"))
            .select_from(FTS.join(ENTRY, ENTRY.c.id == FTS.c.rowid))
            # Entries of other types are not even read (see the module docstring).
            .where(fts5_match(query), fts_of(specs_of(types)))
        )
    else:
        from app.search import tsquery  # PostgreSQL only (see matching._of_types)

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
