"""Which columns an export holds and how each raw value becomes a readable cell.

Rows are fetched as plain tuples from one SQL query: related records are
joined and their label is composed from a few of their columns, so no ORM
object is ever built while exporting.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.models import MeetingKind
from app.models.base import UTCDateTime
from app.normalisers import display_phone

PARIS = ZoneInfo("Europe/Paris")

#: Column names that never leave the application in a list export.
SENSITIVE_PARTS = ("password", "token", "secret", "hash", "totp", "otp_")
HIDDEN_COLUMNS = {"version"}


def is_sensitive(name: str) -> bool:
    low = name.lower()
    return low in HIDDEN_COLUMNS or any(part in low for part in SENSITIVE_PARTS)


# ----- cell kinds: what a converted value is, so writers type cells correctly
TEXT, NUMBER, BOOL, DATE, DATETIME = "text", "number", "bool", "date", "datetime"
#: A number in euros (a money column, its label ends in "(€)"): a currency
#: format in spreadsheets, a plain number elsewhere.
EURO = "euro"


def iso_datetime(value: datetime | str | None) -> datetime | None:
    """A stored timestamp as an aware Europe/Paris datetime (SQLite gives naive UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS)


def _local_day(value: datetime | None) -> str:
    local = iso_datetime(value)
    return local.strftime("%d/%m/%Y") if local else ""


@dataclass
class LabelSpec:
    """Columns of a related record that make its label, and how to join them."""

    paths: tuple[str, ...]
    compose: Callable[..., str]


def _plan_label(short_name, name) -> str:
    return f"{short_name} — {name}" if short_name else (name or "")


def _plan_action_label(plan_short, plan_name, number) -> str:
    prefix = f"{plan_short or plan_name} " if (plan_short or plan_name) else ""
    return f"{prefix}action {number}"


def _meeting_label(group_name, kind, starts_at, ident) -> str:
    if isinstance(kind, str):  # a raw stored code
        kind = MeetingKind[kind] if kind in MeetingKind.__members__ else None
    what = group_name or (kind.label if kind else "")
    title = f"{what} — {_local_day(starts_at)}".strip(" —")
    return title or f"Réunion n° {ident}"


def _short_text(text) -> str:
    text = (text or "").strip()
    return text if len(text) <= 80 else text[:77] + "…"


#: Labels of records other records point to; mirrors each model's __str__.
LABELS: dict[str, LabelSpec] = {
    "Member": LabelSpec(
        ("first_name", "last_name"), lambda f, la: f"{f or ''} {la or ''}".strip()
    ),
    "Meeting": LabelSpec(("group.name", "kind", "starts_at", "id"), _meeting_label),
    "Plan": LabelSpec(("short_name", "name"), _plan_label),
    "PlanAction": LabelSpec(
        ("plan.short_name", "plan.name", "number"), _plan_action_label
    ),
    "Decision": LabelSpec(("text",), _short_text),
}


def label_spec(model) -> LabelSpec:
    spec = LABELS.get(model.__name__)
    if spec is not None:
        return spec
    names = {c.key for c in sa.inspect(model).column_attrs}
    for candidate in ("name", "title"):
        if candidate in names:
            return LabelSpec((candidate,), lambda v: v or "")
    label = getattr(model, "__label__", model.__name__)
    return LabelSpec(("id",), lambda v: f"{label} n° {v}" if v is not None else "")


def _chain(first: Callable, then: Callable) -> Callable:
    def both(value):
        return then(first(value))

    return both


#: Raw value → readable value for particular columns (model name, column).
VALUE_FORMATTERS: dict[tuple[str, str], Callable] = {
    ("Member", "phone"): display_phone,
}


def _decimal(scale: int | None) -> Callable:
    """SQLite hands NUMERIC values back as int/float: give the Decimal the screen shows."""
    quantum = Decimal(1).scaleb(-scale) if scale else None

    def convert(value):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if not value.is_finite():
            # Stored before forms refused it (Infinity, NaN): an empty cell, not
            # a failed export.
            return None
        try:
            return value.quantize(quantum) if quantum is not None else value
        except InvalidOperation:  # more digits than the quantum allows (1e30)
            return value

    return convert


def _enum_converter(enum_cls: type[enum.Enum]) -> Callable:
    labels = {m.name: str(m.value) for m in enum_cls}
    return labels.get  # None-safe, and runs in C


def _kind_and_converter(column) -> tuple[str, Callable | None]:
    """Cell kind of a column and the conversion of its raw DB-API value."""
    ctype = column.type
    if isinstance(ctype, sa.Enum) and ctype.enum_class is not None:
        return TEXT, _enum_converter(ctype.enum_class)
    if isinstance(ctype, UTCDateTime | sa.DateTime):
        return DATETIME, iso_datetime
    if isinstance(ctype, sa.Date):
        return DATE, None
    if isinstance(ctype, sa.Boolean):
        return BOOL, None
    if isinstance(ctype, sa.Integer):
        return NUMBER, None
    if isinstance(ctype, sa.Numeric) and not isinstance(ctype, sa.Float):
        kind = EURO if "€" in column.info.get("label", "") else NUMBER
        return kind, _decimal(ctype.scale)
    if isinstance(ctype, sa.Float):
        return NUMBER, None
    return TEXT, None


@dataclass
class ExportColumn:
    header: str
    kind: str
    index: int  # position of its raw value in the selected row
    convert: Callable | None = None  # raw value -> readable value, None-safe
    safe: bool = False  # values never need formula neutralising (enum labels)
    labels: LabelResolver | None = None  # the raw value is a related record's id


#: Distinct labels kept per export column; beyond it the cache starts over.
LABEL_CACHE_SIZE = 50_000
#: Ids looked up per query when resolving labels.
LABEL_LOOKUP_CHUNK = 500


class LabelResolver:
    """Labels of related records, looked up by id batch after batch.

    The main query selects only the foreign key; the label columns of the
    records a batch points to are fetched in one small query and cached, which
    keeps the streamed rows narrow on large exports (attendance x members).
    """

    def __init__(self, target) -> None:
        self.target = target
        self.spec = label_spec(target)
        pk = sa.inspect(target).primary_key[0]
        selects = [pk]
        joins = []
        aliases: dict[tuple[str, ...], object] = {}
        for sub in self.spec.paths:
            bits = sub.split(".")
            entity = target
            for depth, rel_name in enumerate(bits[:-1]):
                key = tuple(bits[: depth + 1])
                if key not in aliases:
                    rel = sa.inspect(sa.inspect(entity).mapper.class_).relationships[
                        rel_name
                    ]
                    alias = aliased(rel.mapper.class_)
                    joins.append((alias, getattr(entity, rel_name)))
                    aliases[key] = alias
                entity = aliases[key]
            selects.append(getattr(entity, bits[-1]))
        stmt = sa.select(*selects)
        for alias, onclause in joins:
            stmt = stmt.outerjoin(alias, onclause)
        self.pk = pk
        self.stmt = stmt

    def lookup(self, run: Callable, ids, finish: Callable | None) -> dict:
        """Labels of ``ids``; ``run`` executes a select and returns its rows."""
        found: dict = {}
        ids = sorted(ids)
        for start in range(0, len(ids), LABEL_LOOKUP_CHUNK):
            chunk = ids[start : start + LABEL_LOOKUP_CHUNK]
            for pk, *parts in run(self.stmt.where(self.pk.in_(chunk))):
                value = self.spec.compose(*parts)
                found[pk] = finish(value) if finish is not None else value
        return found


#: Header of the record number, the first column of every list export: a file
#: imported back updates the records it came from instead of duplicating them.
KEY_HEADER = "N°"


class ExportPlan:
    """The SQL columns to select and the cells they become, for one model's list."""

    def __init__(self, model, names_and_headers, with_key: bool = True):
        self.model = model
        self.columns: list[ExportColumn] = []
        self.selects: list = []
        self.joins: list[tuple] = []  # (alias, onclause) in join order
        self._aliases: dict[tuple[str, ...], object] = {}
        mapper = sa.inspect(model)
        names_and_headers = list(names_and_headers)
        (pk,) = mapper.primary_key
        if with_key and pk.key not in [name for name, _ in names_and_headers]:
            names_and_headers.insert(0, (pk.key, KEY_HEADER))
        for name, header in names_and_headers:
            if not isinstance(name, str) or is_sensitive(name):
                continue
            if "." in name:
                self._add_path(name, header)
            elif name in mapper.column_attrs:
                self._add_column((), name, header)
            elif name in mapper.relationships:
                rel = mapper.relationships[name]
                if rel.direction.name == "MANYTOONE" and len(rel.local_columns) == 1:
                    self._add_label(rel, header)

    # ----- joins through aliases (never clash with the joins of search/filters)
    def _alias(self, path: tuple[str, ...]):
        if path in self._aliases:
            return self._aliases[path]
        parent = self._alias(path[:-1]) if len(path) > 1 else self.model
        parent_model = sa.inspect(parent).mapper.class_
        target = sa.inspect(parent_model).relationships[path[-1]].mapper.class_
        alias = aliased(target)
        self.joins.append((alias, getattr(parent, path[-1])))
        self._aliases[path] = alias
        return alias

    def _select_raw(self, expr) -> int:
        # type_coerce to NullType: no result processing, rows hold DB-API values.
        index = len(self.selects)
        self.selects.append(
            sa.type_coerce(expr, sa.types.NullType()).label(f"c{index}")
        )
        return index

    def _add_column(self, path: tuple[str, ...], attr: str, header: str) -> None:
        entity = self._alias(path) if path else self.model
        model = sa.inspect(entity).mapper.class_
        column = sa.inspect(model).column_attrs[attr].columns[0]
        kind, convert = _kind_and_converter(column)
        special = VALUE_FORMATTERS.get((model.__name__, attr))
        if special is not None:
            kind, convert = TEXT, special
        index = self._select_raw(getattr(entity, attr))
        safe = isinstance(column.type, sa.Enum)
        self.columns.append(ExportColumn(header, kind, index, convert, safe=safe))

    def _add_path(self, dotted: str, header: str) -> None:
        parts = tuple(dotted.split("."))
        model = self.model
        for part in parts[:-1]:
            rel = sa.inspect(model).relationships.get(part)
            if rel is None or rel.direction.name != "MANYTOONE":
                return
            model = rel.mapper.class_
        if parts[-1] in sa.inspect(model).column_attrs and not is_sensitive(parts[-1]):
            self._add_column(parts[:-1], parts[-1], header)

    def add_expression(self, header: str, expr, kind: str) -> None:
        """A computed cell after the view's columns (e.g. a correlated subquery
        counting a record's children)."""
        index = self._select_raw(expr)
        self.columns.append(ExportColumn(header, kind, index))

    def _add_label(self, rel, header: str) -> None:
        (fk,) = rel.local_columns
        index = self._select_raw(fk)
        resolver = LabelResolver(rel.mapper.class_)
        self.columns.append(ExportColumn(header, TEXT, index, labels=resolver))

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def kinds(self) -> list[str]:
        return [c.kind for c in self.columns]

    def batch_converter(self, run: Callable, finishers: dict[str, Callable | None]):
        """A function turning a batch of raw rows into an iterable of cell rows.

        Work is done column by column with ``map`` (C loops) over the batch,
        which keeps the per-cell Python overhead low on large exports.
        ``finishers`` gives, per cell kind, the format-specific last step
        (formula neutralising, Oui/Non...); every step accepts None.
        """
        steps = []
        for col in self.columns:
            finish = finishers.get(col.kind)
            getter = itemgetter(col.index)
            if col.labels is not None:
                steps.append((getter, None, (col.labels, finish, {})))
            elif col.convert is None:
                steps.append((getter, finish, None))
            elif col.safe or finish is None:
                steps.append((getter, col.convert, None))
            else:
                steps.append((getter, _chain(col.convert, finish), None))

        def convert(rows):
            out = []
            for getter, func, label in steps:
                values = map(getter, rows)
                if label is not None:
                    resolver, finish, cache = label
                    values = list(values)
                    missing = set(values).difference(cache)
                    missing.discard(None)
                    if missing:
                        if len(cache) + len(missing) > LABEL_CACHE_SIZE:
                            cache.clear()
                        cache.update(resolver.lookup(run, missing, finish))
                    values = map(cache.get, values)
                elif func is not None:
                    values = map(func, values)
                out.append(values)
            return zip(*out, strict=True)

        return convert

    def apply(self, query):
        """Turn the view's filtered, sorted ORM query into a select of raw columns."""
        query = query.with_entities(*self.selects)
        for alias, onclause in self.joins:
            query = query.outerjoin(alias, onclause)
        pk = sa.inspect(self.model).primary_key[0]
        return query.order_by(pk)


__all__ = [
    "BOOL",
    "DATE",
    "DATETIME",
    "EURO",
    "NUMBER",
    "TEXT",
    "ExportPlan",
    "is_sensitive",
]
