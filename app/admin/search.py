"""List searches and pickers: the search index first, fast fallbacks otherwise.

- a list whose searched columns belong to searchable records (members,
  meetings, their groups... see ``app.search.registry``) asks the index
  (issue 18): case and accents ignored, word prefixes, every word required,
  phrases in quotes; the record's searchable fields are what is searched,
  the same as the global search's "voir tout";
- a search on a related record (``member.last_name`` in the attendance list)
  becomes ``member_id IN (...)`` instead of an outer join: the database
  searches the 20,000 members once and then uses the foreign-key index,
  instead of joining all 400,000 attendance rows to test each one (issue 8);
- when at most SEARCH_PREFETCH_MAX records match, their keys are fetched once
  (the index asked once for every record type searched) and the count and
  the page read them by key, the keys sent as one parameter (``key_in``); an
  otherwise unfiltered list counts those keys instead of reading them again;
- records outside the index keep a substring search; on SQLite ``x LIKE p``
  replaces Flask-Admin's ``lower(CAST(x)) LIKE lower(p)``: same meaning there
  (both fold ASCII case only), four times cheaper.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, has_request_context
from flask_admin.contrib.sqla import tools
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader

from app.admin.pickers import FastAjaxModelLoader
from app.admin.search_keys import SearchKeysMixin, key_in, walks
from app.search import parse, record_ids
from app.search.registry import spec_for


class FastSearchMixin(SearchKeysMixin):
    """Search and picker speed-ups for Flask-Admin SQLAlchemy views."""

    # ----- pickers
    def _create_ajax_loader(self, name, options):
        loader = super()._create_ajax_loader(name, options)
        if type(loader) is QueryAjaxModelLoader:
            loader.__class__ = FastAjaxModelLoader
        return loader

    # ----- search
    @staticmethod
    def _semi_joinable(path) -> bool:
        for attr in path:
            rel = getattr(attr, "property", None)
            if rel is None or getattr(rel, "direction", None) is None:
                return False
            if rel.direction.name != "MANYTOONE" or len(rel.local_columns) != 1:
                return False
            if len(rel.mapper.primary_key) != 1:
                return False
        return True

    def _target(self, path):
        """The model a search path ends on (the listed model for its own columns)."""
        return path[-1].property.mapper.class_ if path else self.model

    def _apply_search(self, query, count_query, joins, count_joins, search):
        fields = getattr(self, "_search_fields", None) or []
        if not all(self._semi_joinable(path) for _field, path in fields):
            return super()._apply_search(query, count_query, joins, count_joins, search)
        session = getattr(self.session, "session", self.session)
        sqlite = session.get_bind().dialect.name == "sqlite"
        groups: dict[tuple, tuple[list, list]] = {}
        for field, path in fields:
            key = tuple(str(attr) for attr in path)
            groups.setdefault(key, (list(path), []))[1].append(field)
        indexed = any(spec_for(self._target(path)) for path, _ in groups.values())
        parsed = parse(search) if indexed else None
        if parsed is not None and parsed.hint and has_request_context():
            flash(parsed.hint, "info")
        terms = [tools.parse_like_term(t) for t in search.split(" ") if t]
        if (parsed is not None and parsed.empty) or not terms:
            return query, count_query, joins, count_joins

        #: The listed records' keys, when read here (the count may be theirs).
        own_keys: set | None = None
        if len(groups) == 1:
            # Every field is on the same record (often a related one): all terms
            # go into one condition, hence at most one subquery.
            ((path, columns),) = groups.values()
            spec = spec_for(self._target(path))
            if spec is not None:
                clause = None
                if len(path) <= 1:
                    column, _ = self._key_source(path)
                    ids = record_ids(session, parsed, spec.record_type)
                    keys = self._fetch_keys(session, [ids])
                    if keys is not None:
                        walk = not path and self._walks_sort_index()
                        clause = key_in(session, column, sorted(keys), walk)
                        own_keys = None if path else keys
                if clause is None:
                    clause = self._indexed(session, path, spec, parsed)
                clauses = [clause]
            else:
                like = sa.and_(
                    *[self._matches(columns, pattern, sqlite) for pattern in terms]
                )
                clause = None
                if len(path) <= 1 and (path or self._single_key()):
                    column, keys = self._key_source(path)
                    found = self._fetch_keys(session, [keys(like)])
                    if found is not None:
                        walk = not path and self._walks_sort_index()
                        clause = key_in(session, column, sorted(found), walk)
                        own_keys = None if path else found
                if clause is None:
                    clause = self._through(path, like)
                clauses = [clause]
        else:
            # Each word may be in any of the records (a meeting's objective or
            # its group's name): one condition per word (or phrase).
            if all(spec_for(self._target(p)) for p, _ in groups.values()):
                units = [(part, None) for part in parsed.parts()]
            else:
                units = [
                    (parse(w), tools.parse_like_term(w)) for w in search.split(" ") if w
                ]
            if not self._single_key():
                return super()._apply_search(
                    query, count_query, joins, count_joins, search
                )
            pk = sa.inspect(self.model).primary_key[0]
            # Each word's keys read once and intersected here; the count and
            # the page then read those keys only.
            found: set | None = None
            indexed_only = all(spec_for(self._target(p)) for p, _ in groups.values())
            # Every searched record indexed and at most one link away: a word
            # in too many records to read their keys ("la") only narrows what
            # the other words found (``_narrow``), instead of turning the whole
            # search into subqueries for the count and the page.
            narrows = indexed_only and all(len(p) <= 1 for p, _ in groups.values())
            #: The frequent words, to narrow the candidates with.
            rest = []
            for part, pattern in units:
                if part.empty and indexed_only:
                    continue  # nothing of this word to search
                matched = self._unit_keys(session, part, pattern, groups, sqlite)
                if matched is None and narrows:
                    rest.append(part)
                    continue
                if matched is None:
                    found = None
                    break
                found = matched if found is None else found & matched
            if rest and found is not None:
                found = self._narrow(session, found, rest, groups)
            own_only = None
            if rest and found is None:
                own_only = self._own_only(session, rest, groups)
            if own_only is not None:
                # Every word frequent, none in a related record: the listed
                # records' own entries matching all the words at once.
                found = self._own_keys(session, own_only)
            if found is not None:
                walk = self._walks_sort_index()
                clauses = [key_in(session, pk, sorted(found), walk)]
                own_keys = found
            elif own_only is not None:
                clauses = [pk.in_(own_only)]
            else:
                clauses = [
                    pk.in_(sa.union(*keys))
                    for part, pattern in units
                    if (keys := self._unit_selects(session, part, pattern, groups))
                ]
        query = query.filter(*clauses)
        if (
            own_keys is not None
            and has_request_context()
            and walks(session, own_keys, self._walks_sort_index())
        ):
            # The listed records' own keys are tested while the sort index is
            # walked (``key_in``): the page's rows are then read in the walk
            # (``FastListMixin.get_list``).
            g._cdpl_search_walks = True
        if count_query is not None:
            if (
                own_keys is not None
                and count_query.whereclause is None
                and has_request_context()
                and g.get("_cdpl_unfiltered")
            ):
                # Nothing else narrows the list: its count is the number of
                # keys found (each one a record of the list: the index is
                # exact), no need to read them again.
                g._cdpl_search_count = len(own_keys)
                count_query = None
            else:
                count_query = count_query.filter(*clauses)
        return query, count_query, joins, count_joins

    def _unit_selects(self, session, part, pattern, groups) -> list:
        """The selects of the listed records' keys matching one word (or
        phrase) through each searched record, for a UNION of index lookups
        (an OR of IN conditions reads the whole table); empty when the word
        has nothing to search."""
        sqlite = session.get_bind().dialect.name == "sqlite"
        keys = []
        for path, columns in groups.values():
            spec = spec_for(self._target(path))
            if spec is None:
                like = self._matches(columns, pattern, sqlite)
                keys.append(self._keys(self._through(path, like, own=False)))
            elif part.empty:
                continue
            elif not path:
                keys.append(record_ids(session, part, spec.record_type))
            else:
                keys.append(self._keys(self._indexed(session, path, spec, part)))
        return keys

    def _single_key(self) -> bool:
        return len(sa.inspect(self.model).primary_key) == 1

    def _key_source(self, path):
        """(column of the listed model, ``keys(condition)``): the column a search
        on ``path``'s first record compares, and the select of that record's
        keys meeting a condition (on an alias for the listed model itself: a
        subquery on its own table would be correlated)."""
        if path:
            rel = path[0].property
            (column,) = rel.local_columns
            target = rel.mapper.primary_key[0]
            return column, lambda condition: sa.select(target).where(condition)
        (column,) = sa.inspect(self.model).primary_key
        return column, self._keys

    def _keys(self, condition):
        """``SELECT id`` of the listed records meeting ``condition``, on an alias
        (a subquery on the listed table itself would be correlated)."""
        inner = self.model.__table__.alias("search_keys")
        (pk,) = sa.inspect(self.model).primary_key
        adapted = sa.sql.util.ClauseAdapter(inner).traverse(condition)
        return sa.select(inner.c[pk.name]).where(adapted)

    def _indexed(self, session, path, spec, parsed):
        """Records whose ``path`` leads to a searchable record matching ``parsed``."""
        ids = record_ids(session, parsed, spec.record_type)
        if not path:
            return sa.inspect(self.model).primary_key[0].in_(ids)
        rels = [attr.property for attr in path]
        (local,) = rels[-1].local_columns
        condition = local.in_(ids)
        for rel in reversed(rels[:-1]):
            (local,) = rel.local_columns
            condition = local.in_(sa.select(rel.mapper.primary_key[0]).where(condition))
        return condition

    @staticmethod
    def _matches(columns, pattern: str, sqlite: bool):
        """Case-insensitive substring match of any of ``columns``.

        SQLite's LIKE already ignores ASCII case, exactly like its lower()
        (which only folds ASCII), so ``lower(x) LIKE lower(p)`` is replaced by
        the equivalent and four times cheaper ``x LIKE p`` there.
        """
        out = []
        for column in columns:
            if not isinstance(column.type, sa.String):
                column = sa.cast(column, sa.Unicode)
            out.append(column.like(pattern) if sqlite else column.ilike(pattern))
        return sa.or_(*out)

    def _through(self, path, condition, own: bool = True):
        """``condition`` on the record at the end of ``path``, as nested IN lists.

        When every searched column is on the listed record itself, they are
        also searched through ``id IN (SELECT id ... WHERE ...)`` (``own``):
        SQLite otherwise walks the sort index and reads every row to test it
        (31 ms for a member name), where the subquery scans the table once and
        the walk only checks keys.
        """
        if not path and not own:
            return condition
        if not path:
            table = self.model.__table__
            pk = sa.inspect(self.model).primary_key
            if len(pk) != 1:
                return condition
            inner = table.alias("search_self")
            adapted = sa.sql.util.ClauseAdapter(inner).traverse(condition)
            return pk[0].in_(sa.select(inner.c[pk[0].name]).where(adapted))
        for attr in reversed(path):
            rel = attr.property
            (local,) = rel.local_columns
            condition = local.in_(sa.select(rel.mapper.primary_key[0]).where(condition))
        return condition
