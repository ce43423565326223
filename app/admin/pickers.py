"""Search-as-you-type pickers (select boxes of related records) served by the
search index or by the words of the label they show (issues 8 and 18)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_admin.contrib.sqla.ajax import DEFAULT_PAGE_SIZE, QueryAjaxModelLoader

from app.search import label_condition, parse, record_ids
from app.search.labels import label_parts
from app.search.registry import spec_for


class FastAjaxModelLoader(QueryAjaxModelLoader):
    """Search-as-you-type picker: the index for searchable records, and the
    words of the label for records that declare its parts
    (``app.search.labels``); on SQLite, ``x LIKE p`` (same meaning, see
    ``app.admin.search.FastSearchMixin._matches``) otherwise."""

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
