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
  and the count and the page read them by key (one scan instead of two);
- records outside the index keep a substring search; on SQLite ``x LIKE p``
  replaces Flask-Admin's ``lower(CAST(x)) LIKE lower(p)``: same meaning there
  (both fold ASCII case only), four times cheaper.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, has_request_context
from flask_admin.contrib.sqla import tools
from flask_admin.contrib.sqla.ajax import DEFAULT_PAGE_SIZE, QueryAjaxModelLoader

from app.search import label_condition, parse, record_ids
from app.search.labels import label_parts
from app.search.registry import spec_for

#: Searches matching at most this many records are resolved to keys first.
#: (5,000 was tried for broad words: faster on SQLite, three times the
#: application's CPU on PostgreSQL, which binds every key of the IN lists.)
SEARCH_PREFETCH_MAX = 2000


class FastAjaxModelLoader(QueryAjaxModelLoader):
    """Search-as-you-type picker: the index for searchable records, and the
    words of the label for records that declare its parts
    (``app.search.labels``); on SQLite, ``x LIKE p`` (same meaning, see
    ``FastSearchMixin._matches``) otherwise."""

    def get_list(self, term, offset=0, limit=DEFAULT_PAGE_SIZE):
        session = getattr(self.session, "session", self.session)
        spec = spec_for(self.model)
        if spec is not None or label_parts(self.model):
            query = self.get_query()
            parsed = parse(term)
            if label_parts(self.model):
                # The words of the label shown ("Innovation sociale numérique —
                # 11/06/2019"), not only the record's own fields.
                condition = label_condition(session, self.model, term)
                if condition is not None:
                    query = query.filter(condition)
            elif not parsed.empty:
                pk = sa.inspect(self.model).primary_key[0]
                query = query.filter(
                    pk.in_(record_ids(session, parsed, spec.record_type))
                )
            if self.filters:
                # As Flask-Admin writes them: SQL text on the model's table.
                table = self.model.__tablename__.lower()
                query = query.filter(
                    *[sa.text(f"{table}.{value}") for value in self.filters]
                )
            if self.order_by:
                query = query.order_by(self.order_by)
            return query.offset(offset).limit(limit).all()
        fields = self._cached_fields
        if (
            session.get_bind().dialect.name != "sqlite"
            or self.filters
            or not all(hasattr(f, "type") for f in fields)
        ):
            return super().get_list(term, offset, limit)
        pattern = f"%{term}%"
        query = self.get_query().filter(
            sa.or_(
                *[
                    field.like(pattern)
                    if isinstance(getattr(field, "type", None), sa.String)
                    else sa.cast(field, sa.String).like(pattern)
                    for field in fields
                ]
            )
        )
        if self.order_by:
            query = query.order_by(self.order_by)
        return query.offset(offset).limit(limit).all()


class FastSearchMixin:
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

        if len(groups) == 1:
            # Every field is on the same record (often a related one): all terms
            # go into one condition, hence at most one subquery.
            ((path, columns),) = groups.values()
            spec = spec_for(self._target(path))
            if spec is not None:
                clauses = [
                    self._prefetched_ids(session, path, spec, parsed)
                    if len(path) <= 1
                    else None
                ]
                if clauses[0] is None:
                    clauses = [self._indexed(session, path, spec, parsed)]
            else:
                like = sa.and_(
                    *[self._matches(columns, pattern, sqlite) for pattern in terms]
                )
                clauses = [
                    self._prefetched(session, path, like) if len(path) <= 1 else None
                ]
                if clauses[0] is None:
                    clauses = [self._through(path, like)]
        else:
            # Each word may be in any of the records (a meeting's objective or
            # its group's name): one condition per word (or phrase).
            if all(spec_for(self._target(p)) for p, _ in groups.values()):
                units = [(part, None) for part in parsed.parts()]
            else:
                units = [
                    (parse(w), tools.parse_like_term(w)) for w in search.split(" ") if w
                ]
            pk = sa.inspect(self.model).primary_key
            if len(pk) != 1:
                return super()._apply_search(
                    query, count_query, joins, count_joins, search
                )
            clauses = []
            for part, pattern in units:
                # The keys matching through each record, as a UNION of index
                # lookups: an OR of IN conditions reads the whole table.
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
                        keys.append(
                            self._keys(self._indexed(session, path, spec, part))
                        )
                if keys:
                    clauses.append(pk[0].in_(sa.union(*keys)))
            if len(pk) == 1:
                # One scan finds the matching keys; the count and the page then
                # read them by key instead of scanning the table again each.
                keys = sa.select(pk[0]).where(*clauses)
                found = (
                    session.execute(keys.limit(SEARCH_PREFETCH_MAX + 1)).scalars().all()
                )
                if len(found) <= SEARCH_PREFETCH_MAX:
                    clauses = [pk[0].in_(found)]
        query = query.filter(*clauses)
        if count_query is not None:
            count_query = count_query.filter(*clauses)
        return query, count_query, joins, count_joins

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

    def _prefetched_ids(self, session, path, spec, parsed):
        """Index matches fetched once when few (see ``_prefetched``), else None."""
        if path:
            (column,) = path[0].property.local_columns
        else:
            column = sa.inspect(self.model).primary_key[0]
        ids = record_ids(session, parsed, spec.record_type)
        found = session.execute(ids.limit(SEARCH_PREFETCH_MAX + 1)).scalars().all()
        if len(found) > SEARCH_PREFETCH_MAX:
            return None
        return column.in_(found)

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

    def _prefetched(self, session, path, condition):
        """Keys matching the search, fetched once, when there are few of them.

        The count and the page then both use ``key IN (...)`` and an index,
        instead of each scanning the table again. None when there are more
        than SEARCH_PREFETCH_MAX keys (the subquery form is used then).
        """
        if path:
            rel = path[0].property
            (column,) = rel.local_columns
            keys = sa.select(rel.mapper.primary_key[0]).where(condition)
        else:
            pk = sa.inspect(self.model).primary_key
            if len(pk) != 1:
                return None
            column = pk[0]
            inner = self.model.__table__.alias("search_self")
            adapted = sa.sql.util.ClauseAdapter(inner).traverse(condition)
            keys = sa.select(inner.c[column.name]).where(adapted)
        found = session.execute(keys.limit(SEARCH_PREFETCH_MAX + 1)).scalars().all()
        if len(found) > SEARCH_PREFETCH_MAX:
            return None
        return column.in_(found)

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
