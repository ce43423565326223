"""The register of processing (summary) and the counts per category of data."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Attendance,
    AuthSession,
    ChangeLog,
    Consent,
    Invitation,
    Member,
    OutboxMessage,
    SecurityEvent,
    User,
)


@dataclass(frozen=True)
class CategoryCount:
    label: str
    count: int
    retention: str


def _count(model, *conditions) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(*conditions)
    ).scalar_one()


def member_consents(member_id: int) -> list[Consent]:
    """The member's consents, latest first (shown on the member's page)."""
    return list(
        db.session.execute(
            sa.select(Consent)
            .where(Consent.member_id == member_id)
            .order_by(Consent.given_on.desc(), Consent.id.desc())
        ).scalars()
    )


def category_counts(config) -> list[CategoryCount]:
    """How many records of each category of personal data the tool holds."""
    years = config["RGPD_MEMBER_RETENTION_YEARS"]
    months = config["RGPD_SECURITY_LOG_MONTHS"]
    mail_months = config["MAIL_BODY_RETENTION_MONTHS"]
    return [
        CategoryCount(
            "Membres actuels (identité, coordonnées, structure, collège)",
            _count(Member, Member.left_on.is_(None), Member.anonymised_at.is_(None)),
            "tant que la personne est membre",
        ),
        CategoryCount(
            "Anciens membres non anonymisés",
            _count(Member, Member.left_on.is_not(None), Member.anonymised_at.is_(None)),
            f"{years} an(s) après le départ, puis anonymisation",
        ),
        CategoryCount(
            "Membres anonymisés (statistiques seulement)",
            _count(Member, Member.anonymised_at.is_not(None)),
            "sans limite (plus de donnée personnelle)",
        ),
        CategoryCount(
            "Téléphones enregistrés",
            _count(Member, Member.phone.is_not(None)),
            "avec le consentement de la personne, jusqu'à son retrait",
        ),
        CategoryCount(
            "Consentements en cours",
            _count(Consent, Consent.withdrawn_on.is_(None)),
            "tant que la fiche existe",
        ),
        CategoryCount(
            "Présences aux réunions", _count(Attendance), "comme la fiche du membre"
        ),
        CategoryCount(
            "Convocations et réponses", _count(Invitation), "comme la fiche du membre"
        ),
        CategoryCount(
            "Courriels envoyés (dont le texte)",
            _count(OutboxMessage),
            f"texte effacé après {mail_months} mois",
        ),
        CategoryCount(
            "Comptes de l'outil", _count(User), "jusqu'à la fin des fonctions"
        ),
        CategoryCount(
            "Journal de sécurité (connexions)",
            _count(SecurityEvent),
            f"{months} mois",
        ),
        CategoryCount("Sessions ouvertes", _count(AuthSession), "fin de session"),
        CategoryCount(
            "Historique des modifications",
            _count(ChangeLog),
            "comme les fiches ; purgé à l'anonymisation",
        ),
    ]
