"""Finding a record by the words of its label, as a picker shows it (issue 14).

A picker shows ``str(record)``: a meeting is "Innovation sociale numérique —
11/06/2019" (its group and its day), a plan action "STN action 7" (its plan and
its number). Those words are not the record's own searchable fields, so a
model whose label is built from other records or from dates declares the
parts of it::

    #: What a picker matches besides the search index: the parts of __str__.
    __label_parts__ = ("group", "kind", "starts_at")

Each part is a many-to-one relation (matched through the related record's own
index and label, recursively), an enum column (its French label), an integer
column (a number typed exactly) or a date column ("11/06/2019", "11/06",
"06/2019", "2019", "juin"; days in Paris time for timestamps). Every word
typed must be found in the record's index entry or in one of these parts;
case and accents are ignored as in the index, on both databases.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.models.base import LabelledEnum
from app.search.matching import record_ids
from app.search.query import Query, fold, is_number, parse
from app.search.registry import spec_for
from app.timezone import PARIS

#: Related records followed at most this deep (amendment → action → plan).
MAX_DEPTH = 3
#: Years searched at most for a day or a month typed without its year.
MAX_YEARS = 200

#: "11/06/2019", "11/06", "06/2019" (also with "-" or ".").
_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2}|\d{4})(?:[/.-](\d{4}))?(?!\d)")
_MONTHS = (
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
)


def label_parts(model) -> tuple[str, ...]:
    return tuple(getattr(model, "__label_parts__", ()) or ())


def _month(word: str) -> int | None:
    """1-12 for a French month name or its start ("juin", "sept"), else None."""
    folded = fold(word)
    if len(folded) < 3:
        return None
    for number, name in enumerate(_MONTHS, start=1):
        # "mai" is a whole name; "ma" would be ambiguous and is too short anyway.
        if name.startswith(folded):
            return number
    return None


def _dates(text: str) -> tuple[list[tuple[int | None, int | None, int | None]], str]:
    """(day, month, year) triples typed as dates, and the text without them."""
    found = []
    for match in _DATE.finditer(text):
        first, second, third = match.groups()
        if third:
            found.append((int(first), int(second), int(third)))
        elif len(second) == 4:
            found.append((None, int(first), int(second)))
        else:
            found.append((int(first), int(second), None))
    return found, _DATE.sub(" ", text)


def _years(session, column) -> range:
    low, high = session.execute(
        sa.select(sa.func.min(column), sa.func.max(column))
    ).one()
    if low is None:
        return range(0)
    low_year = _local(low).year if isinstance(low, datetime) else low.year
    high_year = _local(high).year if isinstance(high, datetime) else high.year
    return range(max(low_year, high_year - MAX_YEARS + 1), high_year + 1)


def _local(value: datetime) -> datetime:
    return value.astimezone(PARIS) if value.tzinfo else value


def _between(column, start: date, end: date, timestamp: bool):
    """``start <= column < end``; days in Paris time for a timestamp column."""
    if not timestamp:
        return sa.and_(column >= start, column < end)
    low = datetime.combine(start, time(), PARIS)
    high = datetime.combine(end, time(), PARIS)
    return sa.and_(column >= low, column < high)


def _is_date(column) -> bool:
    kind = column.type
    return isinstance(kind, sa.Date | sa.DateTime) or isinstance(
        getattr(kind, "impl", None), sa.DateTime
    )


def _is_timestamp(column) -> bool:
    kind = column.type
    return isinstance(kind, sa.DateTime) or isinstance(
        getattr(kind, "impl", None), sa.DateTime
    )


def _date_condition(session, column, day, month, year):
    """Rows of ``column`` on that day, month or year (any year when None)."""
    timestamp = _is_timestamp(column)
    years = [year] if year else list(_years(session, column))
    ranges = []
    for y in years:
        try:
            if day and month:
                start = date(y, month, day)
                end = start + timedelta(days=1)
            elif month:
                start = date(y, month, 1)
                end = date(y + (month == 12), month % 12 + 1, 1)
            else:
                start, end = date(y, 1, 1), date(y + 1, 1, 1)
        except ValueError:  # 31/02, month 13, year 0
            continue
        ranges.append(_between(column, start, end, timestamp))
    return sa.or_(*ranges) if ranges else sa.false()


def _column_condition(session, model, name: str, unit: Query):
    column = sa.inspect(model).columns[name]
    attr = getattr(model, name)
    words = unit.words
    if len(words) != 1:
        return None
    word = words[0]
    enum_class = getattr(column.type, "enum_class", None)
    if enum_class is not None and issubclass(enum_class, LabelledEnum):
        folded = fold(word)
        members = [
            m
            for m in enum_class
            if any(w.startswith(folded) for w in re.findall(r"\w+", fold(m.label)))
        ]
        return attr.in_(members) if members else None
    if isinstance(column.type, sa.Integer):
        return attr == int(word) if is_number(word) and len(word) <= 9 else None
    if _is_date(column):
        if is_number(word) and len(word) == 4:
            return _date_condition(session, attr, None, None, int(word))
        month = _month(word)
        if month:
            return _date_condition(session, attr, None, month, None)
    return None


def _unit_condition(session, model, unit: Query, depth: int):
    """Rows of ``model`` whose index entry or label parts match ``unit``."""
    options = []
    spec = spec_for(model)
    if spec is not None:
        pk = sa.inspect(model).primary_key[0]
        options.append(pk.in_(record_ids(session, unit, spec.record_type)))
    if depth < MAX_DEPTH:
        mapper = sa.inspect(model)
        for name in label_parts(model):
            rel = mapper.relationships.get(name)
            if rel is not None:
                target = rel.mapper.class_
                inner = _unit_condition(session, target, unit, depth + 1)
                if inner is None:
                    continue
                (local,) = rel.local_columns
                target_pk = rel.mapper.primary_key[0]
                options.append(local.in_(sa.select(target_pk).where(inner)))
                continue
            condition = _column_condition(session, model, name, unit)
            if condition is not None:
                options.append(condition)
    return sa.or_(*options) if options else None


def label_condition(session, model, text: str):
    """The condition on ``model`` rows whose label or index match ``text``:
    every word, phrase or date typed, each anywhere; None if nothing to search."""
    typed, rest = _dates(text or "")
    units = parse(rest).parts()
    conditions = []
    for unit in units:
        condition = _unit_condition(session, model, unit, 0)
        conditions.append(sa.false() if condition is None else condition)
    columns = sa.inspect(model).columns
    dated = [n for n in label_parts(model) if n in columns and _is_date(columns[n])]
    for day, month, year in typed:
        options = [
            _date_condition(session, getattr(model, name), day, month, year)
            for name in dated
        ]
        conditions.append(sa.or_(*options) if options else sa.false())
    if not conditions:
        return None
    return sa.and_(*conditions)
