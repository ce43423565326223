"""The published tables: their columns (Table Schema types, French
descriptions) and their rows, built from public records only.

No column ever holds a person: no author, proposer, member, account or
e-mail. A meeting shows counts of présents / excusés. The public meeting page
also names those who consent to it (``attendance_names``); the package does
not: its files are copied and reused under an open licence, where a later
withdrawal of consent could never reach them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models import Attendance, AttendanceStatus, Decision, Member
from app.models.rgpd import ConsentPurpose
from app.opendata import selection
from app.rgpd.consent import consenting_members


@dataclass(frozen=True)
class Column:
    name: str
    type: str  #: Table Schema type: integer, number, string, date, datetime, boolean
    title: str
    description: str
    required: bool = False


@dataclass(frozen=True)
class ForeignKey:
    column: str
    resource: str
    target: str = "id"


@dataclass(frozen=True)
class Resource:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[], list[dict]]
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)
    #: Date columns whose span is the period the table covers (SCDL catalogue).
    period: tuple[str, ...] = ()


def _label(value) -> str | None:
    return value.label if value is not None else None


def _ident(title: str) -> Column:
    return Column("id", "integer", "Identifiant", title, required=True)


def plan_rows() -> list[dict]:
    return [
        {
            "id": p.id,
            "nom": p.name,
            "sigle": p.short_name,
            "porteur": p.owner.name if p.owner is not None else None,
            "debut": p.starts_on,
            "fin": p.ends_on,
        }
        for p in selection.public_plans()
    ]


def action_rows() -> list[dict]:
    return [
        {
            "id": a.id,
            "plan_id": a.plan_id,
            "numero": a.number,
            "intitule": a.title,
            "axe": a.axis,
            "budget_euros": a.budget,
            "avancement": _label(a.progress_status),
            "avancement_pourcent": a.progress_percent,
            "avancement_date": a.progress_on,
        }
        for a in selection.public_actions()
    ]


def amendment_rows() -> list[dict]:
    # The justification is left out: written for the group, it names people
    # (the demo's cites "le courriel de Philippe Ladame").
    return [
        {
            "id": a.id,
            "action_id": a.plan_action_id,
            "nature": _label(a.kind),
            "texte": a.text,
            "budget_propose_euros": a.proposed_budget,
            "part_budget_proposee_pourcent": a.proposed_share,
            "statut": _label(a.status),
        }
        for a in selection.public_amendments()
    ]


def indicator_rows() -> list[dict]:
    return [
        {
            "id": i.id,
            "action_id": i.plan_action_id,
            "nom": i.name,
            "description": i.description,
            "unite": i.unit,
            "valeur_reference": i.baseline,
            "date_reference": i.baseline_on,
            "cible": i.target,
            "date_cible": i.target_on,
            "sens_souhaite": _label(i.direction),
            "source": i.source,
        }
        for i in selection.public_indicators()
    ]


def measurement_rows() -> list[dict]:
    # The free comment is left out: it is written for the members, not the public.
    return [
        {
            "id": m.id,
            "indicateur_id": m.indicator_id,
            "date": m.measured_on,
            "valeur": m.value,
            "source": m.source,
        }
        for m in selection.public_measurements()
    ]


def attendance_counts(meeting_ids: list[int]) -> dict[int, dict[str, int]]:
    """Présents and excusés of each meeting, counted, never named."""
    counts: dict[int, dict[str, int]] = {
        mid: {"present": 0, "excused": 0} for mid in meeting_ids
    }
    if not meeting_ids:
        return counts
    query = (
        sa.select(Attendance.meeting_id, Attendance.status, sa.func.count())
        .where(Attendance.meeting_id.in_(meeting_ids))
        .group_by(Attendance.meeting_id, Attendance.status)
    )
    for meeting_id, status, number in db.session.execute(query):
        if status == AttendanceStatus.present:
            counts[meeting_id]["present"] = number
        elif status == AttendanceStatus.excused:
            counts[meeting_id]["excused"] = number
    return counts


def attendance_names(meeting_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """Names of the présents and excusés of each meeting who consent, today, to
    appear by name in published minutes; everybody else is only counted."""
    names: dict[int, dict[str, list[str]]] = {
        mid: {"present": [], "excused": []} for mid in meeting_ids
    }
    if not meeting_ids:
        return names
    rows = db.session.execute(
        sa.select(Attendance.meeting_id, Attendance.status, Member)
        .join(Member, Member.id == Attendance.member_id)
        .where(
            Attendance.meeting_id.in_(meeting_ids),
            Attendance.status.in_([AttendanceStatus.present, AttendanceStatus.excused]),
        )
        .order_by(Member.last_name, Member.first_name, Member.id)
    ).all()
    consenting = consenting_members(
        ConsentPurpose.named_in_minutes, {member.id for _, _, member in rows}
    )
    for meeting_id, status, member in rows:
        if member.id in consenting:
            key = "present" if status == AttendanceStatus.present else "excused"
            names[meeting_id][key].append(member.full_name)
    return names


def meeting_rows() -> list[dict]:
    meetings = selection.public_meetings()
    counts = attendance_counts([m.id for m in meetings])
    return [
        {
            "id": m.id,
            "debut": m.starts_at,
            "fin": m.ends_at,
            "type": _label(m.kind),
            "groupe": m.group.name if m.group is not None else None,
            "lieu": m.place,
            "objectif": m.objective,
            "statut": _label(m.status),
            "nombre_presents": counts[m.id]["present"],
            "nombre_excuses": counts[m.id]["excused"],
        }
        for m in meetings
    ]


def decision_rows() -> list[dict]:
    meeting_ids = [m.id for m in selection.public_meetings()]
    if not meeting_ids:
        return []
    decisions = db.session.execute(
        sa.select(Decision)
        .where(Decision.meeting_id.in_(meeting_ids))
        .order_by(Decision.meeting_id, Decision.position, Decision.id)
    ).scalars()
    return [
        {
            "id": d.id,
            "reunion_id": d.meeting_id,
            "texte": d.text,
            "echeance": d.due_on,
            "des_que_possible": bool(d.asap),
        }
        for d in decisions
    ]


def document_rows() -> list[dict]:
    public_meetings = {m.id for m in selection.public_meetings()}
    rows = []
    for d in selection.public_documents():
        current = d.current_version
        rows.append(
            {
                "id": d.id,
                "titre": d.title,
                "nature": _label(d.kind),
                "statut": _label(d.status),
                "date": d.doc_date,
                "version": d.doc_version,
                # A private meeting is not revealed through its document.
                "reunion_id": d.meeting_id if d.meeting_id in public_meetings else None,
                "fichier": current.filename if current is not None else None,
            }
        )
    return rows


RESOURCES: tuple[Resource, ...] = (
    Resource(
        "plans",
        "Plans suivis",
        "Les plans et schémas territoriaux que le conseil suit et commente.",
        (
            _ident("Identifiant du plan."),
            Column("nom", "string", "Nom", "Nom complet du plan.", required=True),
            Column("sigle", "string", "Sigle", "Sigle usuel du plan (ex. STN)."),
            Column("porteur", "string", "Porteur", "Organisme qui porte le plan."),
            Column("debut", "date", "Début", "Premier jour de la période du plan."),
            Column("fin", "date", "Fin", "Dernier jour de la période du plan."),
        ),
        plan_rows,
        (),
        ("debut", "fin"),
    ),
    Resource(
        "actions",
        "Actions des plans",
        "Les actions publiées des plans suivis, avec leur budget et leur avancement.",
        (
            _ident("Identifiant de l'action."),
            Column(
                "plan_id", "integer", "Plan", "Identifiant du plan (plans.id).", True
            ),
            Column(
                "numero", "integer", "Numéro", "Numéro de l'action dans le plan.", True
            ),
            Column("intitule", "string", "Intitulé", "Intitulé de l'action.", True),
            Column("axe", "string", "Axe", "Axe ou thème du plan."),
            Column(
                "budget_euros", "number", "Budget (€)", "Budget de l'action, en euros."
            ),
            Column(
                "avancement",
                "string",
                "Avancement",
                "Avancement : Non démarrée, En cours, Réalisée, Abandonnée ou Inconnue.",
            ),
            Column(
                "avancement_pourcent",
                "integer",
                "Avancement (%)",
                "Avancement chiffré, de 0 à 100, s'il est connu.",
            ),
            Column(
                "avancement_date",
                "date",
                "Date de l'avancement",
                "Date à laquelle l'avancement a été connu.",
            ),
        ),
        action_rows,
        (ForeignKey("plan_id", "plans"),),
        ("avancement_date",),
    ),
    Resource(
        "amendements",
        "Amendements",
        "Les amendements proposés par le conseil aux actions des plans, et leur sort.",
        (
            _ident("Identifiant de l'amendement."),
            Column(
                "action_id",
                "integer",
                "Action",
                "Identifiant de l'action amendée (actions.id).",
                True,
            ),
            Column(
                "nature",
                "string",
                "Nature",
                "Compléter, Remplacer, Ajouter ou Supprimer.",
            ),
            Column(
                "texte", "string", "Texte proposé", "Texte proposé par l'amendement."
            ),
            Column(
                "budget_propose_euros",
                "number",
                "Budget proposé (€)",
                "Budget proposé pour l'action, en euros.",
            ),
            Column(
                "part_budget_proposee_pourcent",
                "number",
                "Part du budget proposée (%)",
                "Part du budget total du plan proposée, en pourcentage.",
            ),
            Column(
                "statut",
                "string",
                "Statut",
                "Proposé, Retenu par le groupe, Transmis, Accepté ou Rejeté.",
            ),
        ),
        amendment_rows,
        (ForeignKey("action_id", "actions"),),
    ),
    Resource(
        "indicateurs",
        "Indicateurs",
        "Les indicateurs de suivi des actions, avec leur référence et leur cible.",
        (
            _ident("Identifiant de l'indicateur."),
            Column(
                "action_id",
                "integer",
                "Action",
                "Identifiant de l'action suivie (actions.id), vide pour un indicateur général.",
            ),
            Column("nom", "string", "Nom", "Nom de l'indicateur.", True),
            Column(
                "description", "string", "Description", "Ce que mesure l'indicateur."
            ),
            Column("unite", "string", "Unité", "Unité des valeurs."),
            Column(
                "valeur_reference",
                "number",
                "Valeur de référence",
                "Valeur au point de départ.",
            ),
            Column(
                "date_reference",
                "date",
                "Date de référence",
                "Date de la valeur de référence.",
            ),
            Column("cible", "number", "Cible", "Valeur visée."),
            Column(
                "date_cible",
                "date",
                "Échéance de la cible",
                "Date à laquelle la cible doit être atteinte.",
            ),
            Column(
                "sens_souhaite",
                "string",
                "Sens souhaité",
                "Hausse ou Baisse : le sens dans lequel l'indicateur doit évoluer.",
            ),
            Column("source", "string", "Source", "D'où viennent les valeurs."),
        ),
        indicator_rows,
        (ForeignKey("action_id", "actions"),),
        ("date_reference", "date_cible"),
    ),
    Resource(
        "mesures",
        "Mesures des indicateurs",
        "Les valeurs mesurées de chaque indicateur publié.",
        (
            _ident("Identifiant de la mesure."),
            Column(
                "indicateur_id",
                "integer",
                "Indicateur",
                "Identifiant de l'indicateur (indicateurs.id).",
                True,
            ),
            Column("date", "date", "Date", "Date de la mesure.", True),
            Column(
                "valeur",
                "number",
                "Valeur",
                "Valeur mesurée, dans l'unité de l'indicateur.",
                True,
            ),
            Column("source", "string", "Source", "D'où vient la valeur."),
        ),
        measurement_rows,
        (ForeignKey("indicateur_id", "indicateurs"),),
        ("date",),
    ),
    Resource(
        "reunions",
        "Réunions publiques",
        "Le calendrier des réunions publiques du conseil. Les participants sont comptés, jamais nommés.",
        (
            _ident("Identifiant de la réunion."),
            Column(
                "debut",
                "datetime",
                "Début",
                "Début de la réunion (UTC, ISO 8601).",
                True,
            ),
            Column("fin", "datetime", "Fin", "Fin de la réunion (UTC, ISO 8601)."),
            Column(
                "type",
                "string",
                "Type",
                "Groupe de travail, Bureau, Assemblée plénière, Conseil d'administration ou Autre.",
            ),
            Column("groupe", "string", "Groupe", "Groupe de travail qui se réunit."),
            Column("lieu", "string", "Lieu", "Lieu de la réunion."),
            Column("objectif", "string", "Objectif", "Objectif de la réunion."),
            Column("statut", "string", "Statut", "Prévue, Tenue ou Annulée."),
            Column(
                "nombre_presents",
                "integer",
                "Présents",
                "Nombre de membres présents.",
                True,
            ),
            Column(
                "nombre_excuses",
                "integer",
                "Excusés",
                "Nombre de membres excusés.",
                True,
            ),
        ),
        meeting_rows,
        (),
        ("debut", "fin"),
    ),
    Resource(
        "decisions",
        "Décisions des réunions",
        "Les décisions prises lors des réunions publiques.",
        (
            _ident("Identifiant de la décision."),
            Column(
                "reunion_id",
                "integer",
                "Réunion",
                "Identifiant de la réunion (reunions.id).",
                True,
            ),
            Column("texte", "string", "Décision", "Texte de la décision.", True),
            Column(
                "echeance",
                "date",
                "Échéance",
                "Date à laquelle la décision doit être mise en œuvre.",
            ),
            Column(
                "des_que_possible",
                "boolean",
                "Dès que possible",
                "Vrai si la décision est à mettre en œuvre dès que possible.",
            ),
        ),
        decision_rows,
        (ForeignKey("reunion_id", "reunions"),),
        ("echeance",),
    ),
    Resource(
        "documents",
        "Documents publiés",
        "Les documents publiés du conseil (avis, contributions, comptes rendus).",
        (
            _ident("Identifiant du document."),
            Column("titre", "string", "Titre", "Titre du document.", True),
            Column(
                "nature",
                "string",
                "Nature",
                "Avis, Compte rendu, Contribution, Courrier, Annexe, Présentation ou Autre.",
            ),
            Column(
                "statut",
                "string",
                "Statut",
                "Étape du document (Brouillon à Transmis).",
            ),
            Column("date", "date", "Date", "Date du document."),
            Column("version", "string", "Version", "Numéro de version du document."),
            Column(
                "reunion_id",
                "integer",
                "Réunion",
                "Réunion publique liée (reunions.id), vide sinon.",
            ),
            Column(
                "fichier",
                "string",
                "Fichier",
                "Nom du fichier de la version courante, téléchargeable sur la page du document.",
            ),
        ),
        document_rows,
        (ForeignKey("reunion_id", "reunions"),),
        ("date",),
    ),
)


def cell_text(value) -> str:
    """A value as written in the CSV (Table Schema default formats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return (
            format(value.normalize(), "f")
            if value == value.to_integral()
            else str(value)
        )
    return str(value)


def json_value(value):
    """A value as written in the JSON files."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral() else float(value)
    return cell_text(value)
