"""Logged values back to Python (for restores) and to French text (for diffs)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.labels import relationship_for_fk
from app.models.base import UTCDateTime
from app.timezone import PARIS

EMPTY = "(vide)"
PARIS_FORMAT = "%d/%m/%Y %H:%M"


def load(cls: type, key: str, raw: Any) -> Any:
    """The Python value of column ``key`` of ``cls`` from its logged form."""
    if raw is None:
        return None
    column = sa.inspect(cls).columns.get(key)
    if column is None:
        return raw
    col_type = column.type
    if isinstance(col_type, sa.Enum) and col_type.enum_class is not None:
        return col_type.enum_class[raw]
    if isinstance(col_type, UTCDateTime | sa.DateTime):
        return datetime.fromisoformat(raw)
    if isinstance(col_type, sa.Date):
        return date.fromisoformat(raw)
    if isinstance(col_type, sa.Numeric) and not isinstance(col_type, sa.Float):
        try:
            return Decimal(raw)
        except InvalidOperation:
            return None
    return raw


def _related_text(target: type, pk: Any) -> str:
    obj = db.session.get(target, pk)
    if obj is None:
        return f"{getattr(target, '__label__', target.__name__)} n° {pk} (supprimé·e)"
    return str(obj)


def display(cls: type, key: str, raw: Any) -> str:
    """French, human-readable text of a logged value."""
    if raw is None or raw == "" or raw == []:
        return EMPTY
    mapper = sa.inspect(cls)
    rel = mapper.relationships.get(key)
    if rel is not None and isinstance(raw, list):
        target = rel.mapper.class_
        return ", ".join(_related_text(target, pk) for pk in raw)
    fk_rel = relationship_for_fk(cls, key)
    if fk_rel is not None:
        return _related_text(fk_rel.mapper.class_, raw)
    value = load(cls, key, raw)
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(PARIS)
        return value.strftime(PARIS_FORMAT)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)  # stored before forms refused it
        try:
            cents = value == value.quantize(Decimal("0.01"))
        except InvalidOperation:  # too many digits for two decimals (1e30)
            cents = False
        text = f"{value:,.2f}" if cents else f"{value:,}"
        return text.replace(",", "\u202f").replace(".", ",")
    return str(value)
