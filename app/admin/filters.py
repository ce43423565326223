"""List filters on related records that people ask for (issue 14).

- ``RecordFilter``: a choice among a few records (plans, groups), listed from
  the database at each display of the list, not once at start-up;
- ``RecordWordsFilter``: the related record typed as a picker finds it, by
  the words of its label ("stn 7", "innovation 16/04/2019"), case and
  accents ignored (``app.search.labels``): meetings and plan actions are too
  many for a drop-down list.

Both become ``column IN (SELECT ...)`` on the listed table's foreign key.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_admin.contrib.sqla.filters import BaseSQLAFilter

from app.extensions import db
from app.search import label_condition

#: Choices listed at most in a drop-down filter.
MAX_CHOICES = 500


class LiveChoices:
    """Options read when the list page is drawn: Flask-Admin reads a filter's
    options once when the view is built, and iterates them at each page."""

    def __init__(self, model, order_by):
        self.model = model
        self.order_by = order_by

    def __bool__(self) -> bool:
        return True

    def __iter__(self):
        rows = db.session.execute(
            sa.select(self.model).order_by(self.order_by).limit(MAX_CHOICES)
        ).scalars()
        return iter([(str(row.id), str(row)) for row in rows])


class RecordFilter(BaseSQLAFilter):
    """Rows linked to the chosen record: ``column IN (keys(record_id))``.

    ``keys`` returns the SELECT of the listed rows' values of ``column`` for
    one chosen id (a membership's member ids for a group...).
    """

    def __init__(self, column, name, choices: LiveChoices, keys, operation="est"):
        super().__init__(column, name, options=choices)
        self.keys = keys
        self._operation = operation

    def validate(self, value) -> bool:
        return isinstance(value, str) and value.isdigit() and len(value) <= 18

    def clean(self, value):
        return int(value)

    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias).in_(self.keys(value)))

    def operation(self):
        return self._operation


class RecordWordsFilter(BaseSQLAFilter):
    """Rows whose related ``target`` record matches the words typed."""

    def __init__(self, column, name, target, operation="contient les mots"):
        super().__init__(column, name)
        self.target = target
        self._operation = operation

    def validate(self, value) -> bool:
        return isinstance(value, str) and bool(value.strip()) and len(value) <= 200

    def apply(self, query, value, alias=None):
        condition = label_condition(db.session, self.target, value)
        if condition is None:  # nothing searchable typed ("--"): nothing matches
            return query.filter(sa.false())
        pk = sa.inspect(self.target).primary_key[0]
        return query.filter(self.get_column(alias).in_(sa.select(pk).where(condition)))

    def operation(self):
        return self._operation
