"""Imports of members, organisations, attendance, plan actions and measurements.

An import goes: read the table, map its columns to fields (auto-matched on
French or English headers), analyse every row (French errors with the file's
line numbers; creation or update of an existing record), then apply all rows
in one transaction, or none if a single row is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from app.db import read_session
from app.exports.bulk import prepare_insert, prepare_update
from app.exports.readers import Table, normalise_header
from app.exports.values import as_text, parse_int
from app.history.actor import Actor, current_actor
from app.normalisers import fit_decimal, fit_integer


@dataclass
class Field:
    key: str
    label: str
    parse: Callable = as_text
    required: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {normalise_header(n) for n in (self.key, self.label, *self.aliases)}


@dataclass
class RowResult:
    line: int
    values: dict
    attrs: dict = field(default_factory=dict)
    existing_id: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        if self.errors:
            return "Erreur"
        return "Mise à jour" if self.existing_id else "Création"


@dataclass
class Analysis:
    rows: list[RowResult]
    mapping_errors: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        out = list(self.mapping_errors)
        for row in self.rows:
            out.extend(f"Ligne {row.line} : {e}" for e in row.errors)
        return out

    @property
    def ok(self) -> bool:
        return not self.mapping_errors and not any(r.errors for r in self.rows)

    @property
    def creations(self) -> int:
        return sum(1 for r in self.rows if not r.errors and not r.existing_id)

    @property
    def updates(self) -> int:
        return sum(1 for r in self.rows if not r.errors and r.existing_id)


def record_number_field() -> Field:
    """The "N°" column every list export starts with (the record's id)."""
    return Field("id", "N°", parse_int, aliases=("numero", "no", "num", "identifiant"))


def key_of(text) -> str:
    """Comparison form of a name: spaces collapsed, case folded."""
    return " ".join(str(text or "").split()).casefold()


class ImportKind:
    """One kind of import; subclasses say how rows find and fill their records."""

    name = ""
    label = ""
    model: type = None  # type: ignore[assignment]
    fields: list[Field] = []
    needs_meeting = False
    #: Record numbers of the existing records, when the kind has an "id" field:
    #: a row carrying one updates that record (an export imported back).
    known_ids: set[int] = set()

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)

    def auto_mapping(self, headers: list[str]) -> dict[int, str]:
        mapping: dict[int, str] = {}
        used: set[str] = set()
        for index, header in enumerate(headers):
            norm = normalise_header(header)
            if not norm:
                continue
            for f in self.fields:
                if f.key not in used and norm in f.names():
                    mapping[index] = f.key
                    used.add(f.key)
                    break
        return mapping

    def max_length(self, key: str) -> int | None:
        column = self.model.__table__.columns.get(key)
        if column is None or not isinstance(column.type, sa.String):
            return None
        return column.type.length

    def fit_column(self, key: str, value):
        """``value`` as the column it fills holds it, or ``ValueError`` (French).

        A number beyond the column (10**29, 1e30) or not finite (Infinity, NaN)
        is refused: it broke the write, every export and the history page.
        Extra decimals (a spreadsheet's 1/3, 0.30000000000000004) are rounded
        to the column's, as PostgreSQL would; the preview shows the result.
        """
        column = self.model.__table__.columns.get(key)
        ctype = None if column is None else column.type
        if isinstance(value, Decimal) and isinstance(ctype, sa.Numeric):
            return fit_decimal(value, ctype.precision, ctype.scale, round_extra=True)
        if isinstance(value, int) and isinstance(ctype, sa.Integer):
            return fit_integer(value, 64 if isinstance(ctype, sa.BigInteger) else 32)
        return value

    # ----- hooks
    def prepare(self, session, params: dict) -> list[str]:
        """Load lookups; return errors that stop the whole import."""
        return []

    def resolve(self, values: dict, errors: list[str]) -> dict:
        """Turn parsed values into model attributes (foreign keys resolved)."""
        return {k: v for k, v in values.items()}

    def matchkey_of(self, attrs: dict):
        """Natural key identifying the record, or None when it cannot match."""
        return None

    def existing(self, key) -> int | None:
        return None

    # ----- the generic steps
    def analyse(
        self,
        session,
        table: Table,
        mapping: dict[int, str],
        params: dict | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Analysis:
        params = params or {}
        mapping_errors = []
        mapped = set(mapping.values())
        for f in self.fields:
            if f.required and f.key not in mapped:
                mapping_errors.append(
                    f"La colonne « {f.label} » est obligatoire : associez-la à une "
                    "colonne du fichier."
                )
        mapping_errors.extend(self.prepare(session, params))
        if mapping_errors:
            return Analysis([], mapping_errors)
        self.known_ids = set()
        if "id" in mapped:
            self.known_ids = set(session.execute(sa.select(self.model.id)).scalars())
        results = []
        seen: dict = {}
        for line, cells in table.rows:
            results.append(self._analyse_row(line, cells, mapping, seen))
            if progress is not None:
                progress(1)
        return Analysis(results)

    def _analyse_row(self, line, cells, mapping, seen) -> RowResult:
        values: dict = {}
        errors: list[str] = []
        for index, key in mapping.items():
            f = self.field(key)
            raw = cells[index] if index < len(cells) else None
            try:
                value = f.parse(raw)
            except ValueError as exc:
                errors.append(f"{f.label} : {exc}")
                continue
            limit = self.max_length(key) if isinstance(value, str) else None
            if limit and len(value) > limit:
                errors.append(f"{f.label} : {limit} caractères au plus.")
                continue
            try:
                value = self.fit_column(key, value)
            except ValueError as exc:
                errors.append(f"{f.label} : {exc}")
                continue
            values[key] = value
        for f in self.fields:
            if f.required and f.key in mapping.values() and values.get(f.key) is None:
                if not any(e.startswith(f"{f.label} :") for e in errors):
                    errors.append(f"« {f.label} » est obligatoire.")
        row = RowResult(line, values, errors=errors)
        if errors:
            return row
        row.attrs = self.resolve(values, errors)
        if errors:
            return row
        # The record number wins over the natural key (a member without an
        # e-mail has none); an unknown number (another database, a deleted
        # record) falls back to the natural key, never to creating that id.
        number = row.attrs.pop("id", None)
        if number not in self.known_ids:
            number = None
        key = ("N°", number) if number is not None else self.matchkey_of(row.attrs)
        if key is not None:
            if key in seen:
                errors.append(f"Même enregistrement qu'à la ligne {seen[key]}.")
                return row
            seen[key] = line
            row.existing_id = number if number is not None else self.existing(key)
        return row

    def apply(
        self,
        session,
        analysis: Analysis,
        progress: Callable[[int], None] | None = None,
        actor: Actor | None = None,
    ) -> tuple[int, int]:
        """Write every row in the current transaction; the caller commits."""
        if not analysis.ok:
            raise ValueError("analysis has errors")
        # Bulk statements, everything computed before the first one: the write
        # lock is held seconds, not minutes, for 100,000 rows; history and
        # search entries are written alongside.
        creations, updates = [], {}
        for row in analysis.rows:
            attrs = {k: v for k, v in row.attrs.items() if v is not None}
            if row.existing_id:
                updates[row.existing_id] = attrs
            else:
                creations.append(attrs)
        inserting = prepare_insert(session, self.model, creations, progress, actor)
        updating = prepare_update(session, self.model, updates, progress, actor)
        inserting.write(session)
        updating.write(session)
        created, updated = len(creations), len(updates)
        return created, updated


def run_import(
    session,
    kind: ImportKind,
    table: Table,
    mapping: dict[int, str],
    params: dict | None = None,
    progress: Callable[[int], None] | None = None,
    actor: Actor | None = None,
) -> tuple[Analysis, tuple[int, int] | None]:
    """Analyse then, only if every row is valid, apply and commit (all or nothing).

    The analysis reads through a session of its own that never takes SQLite's
    write lock; ``session``'s write transaction starts with the bulk writes
    and ends with their commit (a few seconds for 100,000 rows). What changed
    in between (an e-mail taken, a record deleted) makes the database refuse
    the import as a whole. ``actor``: who to name in the history (a job gives
    the account that asked; by default the current one).
    """
    # Read now: after the commit it would be reloaded.
    actor = actor or current_actor()
    session.commit()  # the caller's transaction must not hold the lock meanwhile
    with read_session() as reader:
        analysis = kind.analyse(reader, table, mapping, params, progress)
    if not analysis.ok:
        session.rollback()
        return analysis, None
    try:
        counts = kind.apply(session, analysis, progress, actor)
        session.commit()
    except (SQLAlchemyError, LookupError):
        session.rollback()
        analysis.mapping_errors.append(
            "L'import a été refusé par la base de données (une valeur contredit une "
            "règle, peut-être modifiée entre-temps) : rien n'a été enregistré."
        )
        return analysis, None
    return analysis, counts


def preview_rows(analysis: Analysis, limit: int | None = None) -> Iterable[RowResult]:
    rows = analysis.rows
    errors_first = [r for r in rows if r.errors] + [r for r in rows if not r.errors]
    return errors_first[:limit] if limit else errors_first
