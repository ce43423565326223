"""A generic row factory: any model gets a valid row with nothing to write.

Used by the smoke test, so that a record type added tomorrow is visited the
day it is added.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models.base import UTCDateTime

_counter = itertools.count(1)


def _value_for(column: sa.Column, n: int):
    type_ = column.type
    if isinstance(type_, sa.Enum):
        return type_.enum_class[type_.enums[0]] if type_.enum_class else type_.enums[0]
    if isinstance(type_, UTCDateTime):
        return datetime(2020, 1, 1, 10, 0, tzinfo=UTC)
    if isinstance(type_, sa.DateTime):
        return datetime(2020, 1, 1, 10, 0)
    if isinstance(type_, sa.Date):
        return date(2020, 1, 1)
    if isinstance(type_, sa.Boolean):
        return False
    if isinstance(type_, sa.Numeric):
        return Decimal(n)
    if isinstance(type_, sa.Integer):
        return n
    if isinstance(type_, sa.String) and column.key == "sha256":
        # The table checks that a digest has 64 characters.
        return hashlib.sha256(str(n).encode()).hexdigest()
    if isinstance(type_, sa.String):
        length = type_.length or 40
        return f"Exemple {n}"[:length]
    return f"Exemple {n}"


def make_row(model, **values):
    """Create and flush one row of ``model`` with every required column filled."""
    n = next(_counter)
    mapper = sa.inspect(model)
    for rel in mapper.relationships:
        if rel.direction.name != "MANYTOONE" or rel.key in values:
            continue
        fk_cols = list(rel.local_columns)
        if all(c.nullable for c in fk_cols) or any(c.key in values for c in fk_cols):
            continue
        target = rel.mapper.class_
        existing = db.session.execute(sa.select(target).limit(1)).scalars().first()
        values[rel.key] = existing if existing is not None else make_row(target)
    for column in mapper.columns:
        if column.key in values or column.primary_key or column.nullable:
            continue
        if column.default is not None or column.server_default is not None:
            continue
        if column.foreign_keys:
            continue
        values[column.key] = _value_for(column, n)
    row = model(**values)
    db.session.add(row)
    db.session.flush()
    return row
