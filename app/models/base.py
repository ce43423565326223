"""Shared building blocks of every model: metadata, types, mixins."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from app.extensions import NAMING_CONVENTION, Base

__all__ = ["NAMING_CONVENTION", "Base"]


#: Key of ``Index.info``: the SQL condition of a partial index (see partial_index).
PARTIAL_WHERE = "cdpl_where"


def partial_index(
    name: str, *columns: str, where: str, unique: bool = False
) -> sa.Index:
    """An index of the rows matching ``where``: SQL text, the same on both databases.

    The condition is given to SQLite here and to PostgreSQL by
    :func:`use_dialect` once the app's engine is known to be PostgreSQL: a
    ``postgresql_where=`` argument here would load SQLAlchemy's PostgreSQL
    dialect (~2.3 MB, to check the argument) in every process, SQLite ones
    included. No migration is built from this (``where`` is not compared by
    autogenerate): the migration writes both conditions itself.
    """
    return sa.Index(
        name,
        *columns,
        unique=unique,
        sqlite_where=sa.text(where),
        info={PARTIAL_WHERE: where},
    )


def use_dialect(metadata: sa.MetaData, dialect_name: str) -> None:
    """Give PostgreSQL the conditions of the partial indexes (see partial_index)."""
    if dialect_name != "postgresql":
        return
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.info.get(PARTIAL_WHERE)
            if where is not None:
                index.dialect_options["postgresql"]["where"] = sa.text(where)


def utcnow() -> datetime:
    """Current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite keeps no offset, so values are normalised to UTC on the way in and
    tagged as UTC on the way out; PostgreSQL uses ``timestamptz``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class LabelledEnum(enum.Enum):
    """An enum whose member names are stored codes and whose values are French labels."""

    def __str__(self) -> str:
        return str(self.value)

    @property
    def label(self) -> str:
        return str(self.value)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.name, m.value) for m in cls]


def enum_column(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """SQL type for a LabelledEnum: a VARCHAR of codes with a named CHECK."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.name) for m in enum_cls) + 8,
        validate_strings=True,
    )


class TimestampMixin:
    """Creation and update timestamps (UTC) plus an optimistic-locking version."""

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Créé le"}
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, info={"label": "Modifié le"}
    )
    #: Incremented on every update; edit forms carry the value they were built from.
    version: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=1, info={"label": "Version"}
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        # SQLAlchemy then adds "AND version = <loaded>" to every UPDATE and
        # DELETE and bumps the number: a concurrent change raises StaleDataError
        # instead of being overwritten.
        return {"version_id_col": cls.__table__.c.version}


def label_of(model: type, attr: str) -> str | None:
    """French label declared in a column's or relationship's ``info``."""
    mapper = sa.inspect(model)
    prop = mapper.attrs.get(attr)
    if prop is None:
        return None
    info = getattr(prop, "info", None) or {}
    if "label" in info:
        return info["label"]
    cols = getattr(prop, "columns", None)
    if cols:
        return cols[0].info.get("label")
    return None


def format_date_fr(value: date | None) -> str:
    """Render a date as dd/mm/yyyy (French usage)."""
    return value.strftime("%d/%m/%Y") if value else ""
