"""Imports of members, organisations, attendance, plan actions and measurements.

An import goes: read the table, map its columns to fields (auto-matched on
French or English headers), analyse every row (French errors with the file's
line numbers; creation or update of an existing record), then apply all rows
in one transaction, or none if a single row is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from app.admin.fields import normalise_email, normalise_phone
from app.exports.readers import Table, normalise_header
from app.exports.values import (
    as_text,
    enum_parser,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
)
from app.models import (
    Attendance,
    AttendanceStatus,
    College,
    Indicator,
    Measurement,
    Meeting,
    Member,
    MemberRole,
    Organisation,
    OrganisationKind,
    Plan,
    PlanAction,
)


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


def _key(text) -> str:
    return " ".join(str(text or "").split()).casefold()


class ImportKind:
    """One kind of import; subclasses say how rows find and fill their records."""

    name = ""
    label = ""
    model: type = None  # type: ignore[assignment]
    fields: list[Field] = []
    needs_meeting = False

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

    # ----- hooks
    def prepare(self, session, params: dict) -> list[str]:
        """Load lookups; return errors that stop the whole import."""
        return []

    def resolve(self, values: dict, errors: list[str]) -> dict:
        """Turn parsed values into model attributes (foreign keys resolved)."""
        return {k: v for k, v in values.items()}

    def match_key(self, attrs: dict):
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
        key = self.match_key(row.attrs)
        if key is not None:
            if key in seen:
                errors.append(f"Même enregistrement qu'à la ligne {seen[key]}.")
                return row
            seen[key] = line
            row.existing_id = self.existing(key)
        return row

    def apply(
        self,
        session,
        analysis: Analysis,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[int, int]:
        """Write every row in the current transaction; the caller commits."""
        if not analysis.ok:
            raise ValueError("analysis has errors")
        created = updated = 0
        for row in analysis.rows:
            attrs = {k: v for k, v in row.attrs.items() if v is not None}
            if row.existing_id:
                obj = session.get(self.model, row.existing_id)
                for k, v in attrs.items():
                    setattr(obj, k, v)
                updated += 1
            else:
                session.add(self.model(**attrs))
                created += 1
            if progress is not None:
                progress(1)
        session.flush()
        return created, updated


def _email(value):
    return normalise_email(as_text(value))


def _phone(value):
    return normalise_phone(as_text(value))


class MemberImport(ImportKind):
    name = "membres"
    label = "Membres"
    model = Member
    fields = [
        Field(
            "last_name",
            "Nom",
            required=True,
            aliases=("last name", "nom de famille", "surname"),
        ),
        Field(
            "first_name", "Prénom", required=True, aliases=("first name", "given name")
        ),
        Field(
            "email",
            "Courriel",
            _email,
            aliases=("email", "e-mail", "mail", "adresse électronique"),
        ),
        Field(
            "phone",
            "Téléphone",
            _phone,
            aliases=("phone", "tel", "tél", "mobile", "portable"),
        ),
        Field(
            "organisation",
            "Structure",
            aliases=("organisation", "organization", "organisme"),
        ),
        Field("college", "Collège", aliases=("college",)),
        Field("town", "Commune", aliases=("town", "city", "ville")),
        Field(
            "role", "Rôle au conseil", enum_parser(MemberRole), aliases=("role", "rôle")
        ),
        Field(
            "joined_on",
            "Entré·e le",
            parse_date,
            aliases=("joined on", "entré le", "date d'entrée"),
        ),
        Field(
            "left_on",
            "Parti·e le",
            parse_date,
            aliases=("left on", "parti le", "date de sortie"),
        ),
        Field("notes", "Notes", aliases=("note", "remarques")),
    ]

    def max_length(self, key):
        return None if key in ("organisation", "college") else super().max_length(key)

    def prepare(self, session, params):
        self.orgs = {
            _key(n): i
            for i, n in session.execute(sa.select(Organisation.id, Organisation.name))
        }
        self.colleges = {
            _key(n): i for i, n in session.execute(sa.select(College.id, College.name))
        }
        self.emails = {
            e: i
            for i, e in session.execute(
                sa.select(Member.id, Member.email).where(Member.email.is_not(None))
            )
        }
        return []

    def resolve(self, values, errors):
        attrs = {
            k: v for k, v in values.items() if k not in ("organisation", "college")
        }
        for key, table, label in (
            ("organisation", self.orgs, "Structure"),
            ("college", self.colleges, "Collège"),
        ):
            name = values.get(key)
            if name is None:
                continue
            ident = table.get(_key(name))
            if ident is None:
                errors.append(f"{label} « {name} » inconnue : créez-la d'abord.")
            attrs[f"{key}_id"] = ident
        joined, left = values.get("joined_on"), values.get("left_on")
        if joined and left and left < joined:
            errors.append("La date de départ précède la date d'entrée.")
        return attrs

    def match_key(self, attrs):
        return attrs.get("email")

    def existing(self, key):
        return self.emails.get(key)


class OrganisationImport(ImportKind):
    name = "structures"
    label = "Structures"
    model = Organisation
    fields = [
        Field(
            "name",
            "Nom",
            required=True,
            aliases=("name", "structure", "organisation", "raison sociale"),
        ),
        Field(
            "kind",
            "Type",
            enum_parser(OrganisationKind),
            aliases=("kind", "type de structure"),
        ),
        Field("town", "Commune", aliases=("town", "city", "ville")),
    ]

    def prepare(self, session, params):
        self.names = {
            _key(n): i
            for i, n in session.execute(sa.select(Organisation.id, Organisation.name))
        }
        return []

    def match_key(self, attrs):
        return _key(attrs.get("name"))

    def existing(self, key):
        return self.names.get(key)


class AttendanceImport(ImportKind):
    name = "presences"
    label = "Présences à une réunion"
    model = Attendance
    needs_meeting = True
    fields = [
        Field("email", "Courriel", _email, aliases=("email", "e-mail", "mail")),
        Field("last_name", "Nom", aliases=("last name", "nom de famille")),
        Field("first_name", "Prénom", aliases=("first name",)),
        Field(
            "status",
            "Présence",
            enum_parser(AttendanceStatus),
            aliases=("status", "statut", "état"),
        ),
        Field("guest", "Invité·e", parse_bool, aliases=("guest", "invité", "invitée")),
    ]

    def max_length(self, key):
        return None

    def prepare(self, session, params):
        meeting_id = params.get("meeting_id")
        meeting = session.get(Meeting, int(meeting_id)) if meeting_id else None
        if meeting is None:
            return ["Choisissez la réunion dont vous importez les présences."]
        self.meeting_id = meeting.id
        self.by_email = {}
        self.by_name: dict = {}
        for i, email, first, last in session.execute(
            sa.select(Member.id, Member.email, Member.first_name, Member.last_name)
        ):
            if email:
                self.by_email[email] = i
            self.by_name.setdefault((_key(first), _key(last)), []).append(i)
        self.present = dict(
            session.execute(
                sa.select(Attendance.member_id, Attendance.id).where(
                    Attendance.meeting_id == meeting.id
                )
            ).all()
        )
        return []

    def resolve(self, values, errors):
        email = values.get("email")
        member_id = None
        if email:
            member_id = self.by_email.get(email)
            if member_id is None:
                errors.append(f"Aucun membre n'a le courriel « {email} ».")
                return {}
        else:
            first, last = values.get("first_name"), values.get("last_name")
            if not (first and last):
                errors.append("Indiquez le courriel, ou le prénom et le nom du membre.")
                return {}
            found = self.by_name.get((_key(first), _key(last)), [])
            if not found:
                errors.append(f"Aucun membre nommé « {first} {last} ».")
                return {}
            if len(found) > 1:
                errors.append(
                    f"Plusieurs membres se nomment « {first} {last} » : indiquez le courriel."
                )
                return {}
            member_id = found[0]
        return {
            "meeting_id": self.meeting_id,
            "member_id": member_id,
            "status": values.get("status")
            or (None if self.present.get(member_id) else AttendanceStatus.present),
            "guest": values.get("guest"),
        }

    def match_key(self, attrs):
        return attrs["member_id"]

    def existing(self, key):
        return self.present.get(key)


class PlanActionImport(ImportKind):
    name = "actions-plan"
    label = "Actions des plans"
    model = PlanAction
    fields = [
        Field("plan", "Plan", required=True, aliases=("plan suivi", "sigle")),
        Field(
            "number",
            "Numéro",
            parse_int,
            required=True,
            aliases=("number", "n°", "no", "num"),
        ),
        Field("title", "Intitulé", required=True, aliases=("title", "titre", "action")),
        Field("axis", "Axe ou thème", aliases=("axis", "axe", "thème", "theme")),
        Field(
            "budget", "Budget (€)", parse_decimal, aliases=("budget", "budget en euros")
        ),
    ]

    def max_length(self, key):
        return None if key == "plan" else super().max_length(key)

    def prepare(self, session, params):
        self.plans: dict = {}
        for i, name, short in session.execute(
            sa.select(Plan.id, Plan.name, Plan.short_name)
        ):
            self.plans.setdefault(_key(name), i)
            if short:
                self.plans.setdefault(_key(short), i)
        self.actions = {
            (p, n): i
            for i, p, n in session.execute(
                sa.select(PlanAction.id, PlanAction.plan_id, PlanAction.number)
            )
        }
        return []

    def resolve(self, values, errors):
        attrs = {k: v for k, v in values.items() if k != "plan"}
        plan_id = self.plans.get(_key(values["plan"]))
        if plan_id is None:
            errors.append(f"Plan « {values['plan']} » inconnu.")
        attrs["plan_id"] = plan_id
        if values["number"] <= 0:
            errors.append("Numéro : doit être supérieur à zéro.")
        if values.get("budget") is not None and values["budget"] < 0:
            errors.append("Budget (€) : la valeur doit être positive.")
        return attrs

    def match_key(self, attrs):
        return (attrs["plan_id"], attrs["number"])

    def existing(self, key):
        return self.actions.get(key)


class MeasurementImport(ImportKind):
    name = "mesures"
    label = "Mesures des indicateurs"
    model = Measurement
    fields = [
        Field("indicator", "Indicateur", required=True, aliases=("indicator",)),
        Field(
            "measured_on",
            "Date",
            parse_date,
            required=True,
            aliases=("date", "measured on", "date de mesure"),
        ),
        Field(
            "value", "Valeur", parse_decimal, required=True, aliases=("value", "mesure")
        ),
        Field("comment", "Commentaire", aliases=("comment", "remarque")),
        Field("source", "Source", aliases=("source",)),
    ]

    def max_length(self, key):
        return None if key == "indicator" else super().max_length(key)

    def prepare(self, session, params):
        self.indicators: dict = {}
        for i, name in session.execute(sa.select(Indicator.id, Indicator.name)):
            self.indicators.setdefault(_key(name), []).append(i)
        self.known = {
            (ind, day): i
            for i, ind, day in session.execute(
                sa.select(
                    Measurement.id, Measurement.indicator_id, Measurement.measured_on
                )
            )
        }
        return []

    def resolve(self, values, errors):
        attrs = {k: v for k, v in values.items() if k != "indicator"}
        found = self.indicators.get(_key(values["indicator"]), [])
        if not found:
            errors.append(f"Indicateur « {values['indicator']} » inconnu.")
        elif len(found) > 1:
            errors.append(
                f"Plusieurs indicateurs se nomment « {values['indicator']} »."
            )
        attrs["indicator_id"] = found[0] if len(found) == 1 else None
        return attrs

    def match_key(self, attrs):
        return (attrs["indicator_id"], attrs["measured_on"])

    def existing(self, key):
        return self.known.get(key)


KINDS: dict[str, type[ImportKind]] = {
    k.name: k
    for k in (
        MemberImport,
        OrganisationImport,
        AttendanceImport,
        PlanActionImport,
        MeasurementImport,
    )
}


def get_kind(name: str) -> ImportKind:
    try:
        return KINDS[name]()
    except KeyError as exc:
        raise ValueError(f"Type d'import inconnu : {name}") from exc


def run_import(
    session,
    kind: ImportKind,
    table: Table,
    mapping: dict[int, str],
    params: dict | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[Analysis, tuple[int, int] | None]:
    """Analyse then, only if every row is valid, apply and commit (all or nothing)."""
    analysis = kind.analyse(session, table, mapping, params, progress)
    if not analysis.ok:
        session.rollback()
        return analysis, None
    try:
        counts = kind.apply(session, analysis, progress)
        session.commit()
    except SQLAlchemyError:
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
