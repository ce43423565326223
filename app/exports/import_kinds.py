"""The five import kinds: how each row finds and fills its record."""

from __future__ import annotations

import sqlalchemy as sa

from app.exports.importing import Field, ImportKind, key_of, record_number_field
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
from app.normalisers import normalise_email, normalise_phone
from app.plans.money import parse_euros


def _email(value):
    return normalise_email(as_text(value))


def _phone(value):
    return normalise_phone(as_text(value))


class MemberImport(ImportKind):
    name = "membres"
    label = "Membres"
    model = Member
    fields = [
        record_number_field(),
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
            key_of(n): i
            for i, n in session.execute(sa.select(Organisation.id, Organisation.name))
        }
        self.colleges = {
            key_of(n): i
            for i, n in session.execute(sa.select(College.id, College.name))
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
            ident = table.get(key_of(name))
            if ident is None:
                errors.append(f"{label} « {name} » inconnue : créez-la d'abord.")
            attrs[f"{key}_id"] = ident
        joined, left = values.get("joined_on"), values.get("left_on")
        if joined and left and left < joined:
            errors.append("La date de départ précède la date d'entrée.")
        return attrs

    def matchkey_of(self, attrs):
        return attrs.get("email")

    def existing(self, key):
        return self.emails.get(key)


class OrganisationImport(ImportKind):
    name = "structures"
    label = "Structures"
    model = Organisation
    fields = [
        record_number_field(),
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
            key_of(n): i
            for i, n in session.execute(sa.select(Organisation.id, Organisation.name))
        }
        return []

    def matchkey_of(self, attrs):
        return key_of(attrs.get("name"))

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
        try:
            meeting_id = int(params.get("meeting_id") or 0)
        except (TypeError, ValueError):
            meeting_id = 0
        # Ids beyond 32 bits are "no such meeting" (PostgreSQL refuses the cast).
        meeting = session.get(Meeting, meeting_id) if 0 < meeting_id < 2**31 else None
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
            self.by_name.setdefault((key_of(first), key_of(last)), []).append(i)
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
            found = self.by_name.get((key_of(first), key_of(last)), [])
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

    def matchkey_of(self, attrs):
        return attrs["member_id"]

    def existing(self, key):
        return self.present.get(key)


class PlanActionImport(ImportKind):
    name = "actions-plan"
    label = "Actions des plans"
    model = PlanAction
    fields = [
        # Optional: the plan's own spreadsheet (number, title, axis, budget) is
        # imported with the plan chosen on the import screen.
        Field("plan", "Plan", aliases=("plan suivi", "sigle")),
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
            "budget",
            "Budget (€)",
            parse_euros,
            aliases=("budget", "budget en euros", "montant", "budget (k€)"),
        ),
    ]

    def max_length(self, key):
        return None if key == "plan" else super().max_length(key)

    def prepare(self, session, params):
        self.default_plan = params.get("plan_id")
        if (
            self.default_plan is not None
            and session.get(Plan, self.default_plan) is None
        ):
            return ["Le plan choisi n'existe plus."]
        self.plans: dict = {}
        for i, name, short in session.execute(
            sa.select(Plan.id, Plan.name, Plan.short_name)
        ):
            self.plans.setdefault(key_of(name), i)
            if short:
                self.plans.setdefault(key_of(short), i)
        self.actions = {
            (p, n): i
            for i, p, n in session.execute(
                sa.select(PlanAction.id, PlanAction.plan_id, PlanAction.number)
            )
        }
        return []

    def resolve(self, values, errors):
        attrs = {k: v for k, v in values.items() if k != "plan"}
        if values.get("plan"):
            plan_id = self.plans.get(key_of(values["plan"]))
            if plan_id is None:
                errors.append(f"Plan « {values['plan']} » inconnu.")
        else:
            plan_id = self.default_plan
            if plan_id is None:
                errors.append(
                    "Plan manquant : ajoutez une colonne « Plan » ou choisissez le "
                    "plan sur l'écran d'import."
                )
        attrs["plan_id"] = plan_id
        if values["number"] <= 0:
            errors.append("Numéro : doit être supérieur à zéro.")
        if values.get("budget") is not None and values["budget"] < 0:
            errors.append("Budget (€) : la valeur doit être positive.")
        return attrs

    def matchkey_of(self, attrs):
        if attrs.get("plan_id") is None or attrs.get("number") is None:
            return None
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
            self.indicators.setdefault(key_of(name), []).append(i)
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
        found = self.indicators.get(key_of(values["indicator"]), [])
        if not found:
            errors.append(f"Indicateur « {values['indicator']} » inconnu.")
        elif len(found) > 1:
            errors.append(
                f"Plusieurs indicateurs se nomment « {values['indicator']} »."
            )
        attrs["indicator_id"] = found[0] if len(found) == 1 else None
        return attrs

    def matchkey_of(self, attrs):
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
    """A fresh instance of the import kind called ``name`` (French error if unknown)."""
    try:
        return KINDS[name]()
    except KeyError as exc:
        raise ValueError(f"Type d'import inconnu : {name}") from exc
