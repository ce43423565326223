"""The keys a list search reads ahead from the search index (issue 18).

``app.admin.search.FastSearchMixin`` decides how a list search is answered;
this module holds how its keys are read and sent back:

- ``key_in``: ``column IN keys`` with the keys as one parameter;
- ``SearchKeysMixin``: the keys of one word (or phrase) through every
  searched record, read at most SEARCH_PREFETCH_MAX at a time; a frequent
  word narrowing what the others found (``_narrow``); frequent words matched
  together in the listed records' own entries (``_own_only``); whether a
  list may walk its sort index.

The mixin relies on its view for ``model`` and for the conditions it builds
(``_target``, ``_matches``, ``_through``, ``_keys``, ``_indexed``).
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import has_request_context, request

from app.search import (
    Query,
    any_entry_matching,
    entries_matching,
    record_ids,
    typed_record_keys,
)
from app.search.registry import spec_for

#: Searches matching at most this many records are resolved to keys first.
#: The keys travel as one parameter (``key_in``): binding each of 5,000 keys
#: of an IN list cost three times the application's CPU on PostgreSQL.
SEARCH_PREFETCH_MAX = 5000
#: The same, for the keys of the listed records' own entries matching every
#: word at once (``_own_only``): one query, so more keys are read than for
#: one word through several records. 18,000 measurements say "bilan
#: semestriel": read once (12 ms), their number is the count and the page
#: walks the sort index, instead of two subqueries of 32 ms each.
OWN_WORDS_PREFETCH_MAX = 50_000
#: From this many keys of its own records a SQLite list walks its sort index
#: (see ``key_in``): one in twenty of a 20,000-row list.
WALK_FROM = 1000


def walks(session, keys, walk: bool) -> bool:
    """Whether ``key_in(session, column, keys, walk)`` tests the keys while
    the list's sort index is walked (more than WALK_FROM keys, SQLite or
    PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    return walk and len(keys) > WALK_FROM and dialect in ("sqlite", "postgresql")


def key_in(session, column, keys: list, walk: bool = False):
    """``column IN keys``, the keys sent as one parameter: a JSON array read by
    ``json_each`` on SQLite, an array compared with ``= ANY`` on PostgreSQL.
    (Not the text of an array cast by the server: the planner then no longer
    knows how many keys there are, and walked all 400,000 attendance rows
    for the 280 members of "thomas", 54 ms.)

    A list of 2,000 keys is then one value to bind and one statement to cache
    instead of 2,000 placeholders compiled and bound for the count, the page
    and the rows each.

    ``walk``: on SQLite, more than WALK_FROM keys are tested while the list's
    sort index is walked (``id + 0`` is no index key) instead of each read by
    key and all sorted: a word in 2,174 of 20,000 meetings fills its first
    page of 50 after some 500 meetings in date order (0.3 ms against 2.7 ms).
    Only for an order an index serves (``_walks_sort_index``): otherwise the
    whole table would be read and sorted (6 to 9 ms). On PostgreSQL, which
    walks the sort index by itself, ``id + 0`` spares the planner estimating
    each key's selectivity in the primary key's index (1.2 ms for 2,174 keys).
    """
    if not keys:
        return sa.false()
    if session.get_bind().dialect.name == "sqlite":
        values = sa.func.json_each(sa.bindparam(None, json.dumps(keys), sa.Text))
        if walks(session, keys, walk):
            column = column + 0
        return column.in_(sa.select(sa.literal_column("value")).select_from(values))
    if session.get_bind().dialect.name == "postgresql":
        if walks(session, keys, walk):
            column = column + 0
        return column == sa.any_(sa.bindparam(None, keys, sa.ARRAY(column.type)))
    return column.in_(keys)


class SearchKeysMixin:
    """How a list search reads its keys (see the module docstring)."""

    def _unit_keys(self, session, part, pattern, groups, sqlite) -> set | None:
        """Keys of the listed records matching one word (or phrase) through any
        of the searched records, or None above SEARCH_PREFETCH_MAX.

        The index is asked once for every record type searched (a meeting's
        own entry and its group's), instead of once per type: each ask reads
        the index entries of every type matching the word.
        """
        indexed = [
            spec
            for path, _ in groups.values()
            if len(path) <= 1 and (spec := spec_for(self._target(path)))
        ]
        typed: dict[str, list] = {}
        if indexed and not part.empty:
            types = sorted({spec.record_type for spec in indexed})
            typed = typed_record_keys(session, part, types, SEARCH_PREFETCH_MAX)
            if typed is None:
                return None
        (pk,) = sa.inspect(self.model).primary_key
        found: set = set()
        selects = []
        for path, columns in groups.values():
            spec = spec_for(self._target(path))
            if spec is None:
                like = self._matches(columns, pattern, sqlite)
                selects.append(self._keys(self._through(path, like, own=False)))
            elif part.empty:
                continue
            elif len(path) > 1:
                selects.append(self._keys(self._indexed(session, path, spec, part)))
            elif not path:
                found.update(typed.get(spec.record_type, ()))
            elif typed.get(spec.record_type):
                (local,) = path[0].property.local_columns
                ids = typed[spec.record_type]
                selects.append(sa.select(pk).where(key_in(session, local, ids)))
        more = self._fetch_keys(session, selects)
        if more is None:
            return None
        found |= more
        return found if len(found) <= SEARCH_PREFETCH_MAX else None

    def _narrow(self, session, keys: set, parts: list, groups) -> set:
        """Of ``keys`` (the records the rarer words found), those matching each
        of ``parts`` too, through their own index entry or their related record's
        (every searched record indexed, at most one link away).

        Only the entries of the candidates are tested against those words:
        reading a frequent word's records costs one read per matching entry
        ("la" is in 63,000 entries: 25 to 30 ms, three times over for the
        keys, the count and the page; "Présenter la synthèse" in 50,000
        actions took 280 ms), where the full-text match itself is cheap.
        """
        own = None
        related = []  # (the listed record's foreign key, the related spec)
        for path, _columns in groups.values():
            spec = spec_for(self._target(path))
            if path:
                (local,) = path[0].property.local_columns
                related.append((local, spec))
            else:
                own = spec
        if not keys:
            return keys
        ordered = sorted(keys)
        (pk,) = sa.inspect(self.model).primary_key
        #: Index entry id → the candidates it stands for. An entry's id is
        #: computed from its record's (``IndexSpec.entry_id``), not read.
        stands_for: dict[int, set] = {}
        if own is not None:
            for record_id in ordered:
                stands_for.setdefault(own.entry_id(record_id), set()).add(record_id)
        if related:
            links = sa.select(pk, *(fk for fk, _ in related)).where(
                key_in(session, pk, ordered)
            )
            rows = session.execute(links).all()
            for position, (_fk, spec) in enumerate(related, start=1):
                by_target: dict = {}
                for row in rows:
                    if row[position] is not None:
                        by_target.setdefault(row[position], set()).add(row[0])
                if not by_target:
                    continue
                for record_id in sorted(by_target):
                    stands_for.setdefault(spec.entry_id(record_id), set()).update(
                        by_target[record_id]
                    )
        entry_ids = sorted(stands_for)
        for part in parts:
            matched = entries_matching(
                session, part, lambda column: key_in(session, column, entry_ids)
            )
            keys = keys & set().union(*(stands_for[e] for e in matched))
            if not keys:
                break
        return keys

    def _own_only(self, session, parts: list, groups):
        """The listed records whose own entry matches every one of ``parts`` (a
        select of their keys), when no related record matches any of them;
        else None.

        For words each in too many records to read their keys ("bilan
        semestriel": 18,000 measurements each), one match of all the words
        together, which the full-text index intersects itself, instead of one
        subquery per word through every searched record, for the count and
        for the page (255 ms).
        """
        own = spec_for(self.model) if () in groups else None
        if own is None:
            return None
        types = sorted(
            {spec_for(self._target(p)).record_type for p, _ in groups.values() if p}
        )
        for part in parts:
            if types and any_entry_matching(session, part, types):
                return None
        together = Query(
            text=" ".join(part.text for part in parts),
            words=[w for part in parts for w in part.words],
            phrases=[p for part in parts for p in part.phrases],
        )
        return record_ids(session, together, own.record_type)

    def _walks_sort_index(self) -> bool:
        """The list is in its default order, and its table's key or one of its
        indexes starts with that order's first column (``key_in``)."""
        if has_request_context() and request.args.get("sort") is not None:
            return False
        order = next(iter(self._get_default_order() or ()), None)
        if order is None or order[1]:  # none, or through a join
            return False
        columns = getattr(getattr(order[0], "property", None), "columns", None)
        if not columns:
            return False
        column = columns[0]
        table = self.model.__table__
        if column.table is not table:
            return False
        return column.primary_key or any(
            list(index.columns)[0] is column for index in table.indexes
        )

    def _own_keys(self, session, select) -> set | None:
        """The keys of ``_own_only``'s select, or None above
        OWN_WORDS_PREFETCH_MAX."""
        return self._fetch_keys(session, [select], OWN_WORDS_PREFETCH_MAX)

    @staticmethod
    def _fetch_keys(session, selects, limit: int | None = None) -> set | None:
        """The keys the ``selects`` return together, or None above ``limit``
        (SEARCH_PREFETCH_MAX by default; the caller then keeps them as
        subqueries)."""
        limit = SEARCH_PREFETCH_MAX if limit is None else limit
        found: set = set()
        for select in selects:
            stmt = select.limit(limit + 1)
            found.update(session.execute(stmt).scalars().all())
            if len(found) > limit:
                return None
        return found
