"""Retention periods: what must go, listed (``--dry-run``) and purged.

- members who left more than ``RGPD_MEMBER_RETENTION_YEARS`` ago: anonymised;
- security log entries older than ``RGPD_SECURITY_LOG_MONTHS``: deleted;
- ended sessions (idle or past their absolute lifetime): deleted;
- bodies of delivered e-mails past ``MAIL_BODY_RETENTION_MONTHS``: emptied
  (``app.mail.outbox.purge_bodies``).

Each member is anonymised in its own transaction and each category is deleted
in one: a purge interrupted half way leaves whole records and can be run again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.history import current_actor
from app.mail.outbox import bodies_due_condition, purge_bodies
from app.models import (
    AuthSession,
    ChangeKind,
    ChangeLog,
    Member,
    OutboxMessage,
    SecurityEvent,
    User,
)
from app.models.base import utcnow
from app.rgpd.anonymise import AnonymisationRefused, anonymise_member, wipe_free_space


@dataclass
class Due:
    """What the retention periods say must go now."""

    members: list[tuple[int, str, date]] = field(default_factory=list)
    security_events: int = 0
    sessions: int = 0
    mail_bodies: int = 0

    @property
    def empty(self) -> bool:
        return not (
            self.members or self.security_events or self.sessions or self.mail_bodies
        )

    def lines(self) -> list[str]:
        """French lines for the page and the command."""
        years = current_app.config["RGPD_MEMBER_RETENTION_YEARS"]
        months = current_app.config["RGPD_SECURITY_LOG_MONTHS"]
        out = [
            f"{len(self.members)} membre(s) parti(s) depuis plus de {years} an(s) "
            "à anonymiser",
        ]
        out += [
            f"  - n° {mid} {name} (parti·e le {left.strftime('%d/%m/%Y')})"
            for mid, name, left in self.members
        ]
        out += [
            f"{self.security_events} entrée(s) du journal de sécurité de plus de "
            f"{months} mois à supprimer",
            f"{self.sessions} session(s) terminée(s) à supprimer",
            f"{self.mail_bodies} texte(s) de courriel passé(s) la durée de "
            "conservation à effacer",
        ]
        return out


def _member_limit() -> date:
    years = int(current_app.config["RGPD_MEMBER_RETENTION_YEARS"])
    today = utcnow().date()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _security_condition():
    months = int(current_app.config["RGPD_SECURITY_LOG_MONTHS"])
    return SecurityEvent.at < utcnow() - timedelta(days=round(months * 30.44))


def _session_condition():
    now = utcnow()
    idle = timedelta(minutes=int(current_app.config["SESSION_IDLE_TIMEOUT_MINUTES"]))
    lifetime = timedelta(
        hours=int(current_app.config["SESSION_ABSOLUTE_LIFETIME_HOURS"])
    )
    return sa.or_(
        AuthSession.last_seen_at < now - idle, AuthSession.created_at < now - lifetime
    )


def _count(model, condition) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(condition)
    ).scalar_one()


def due() -> Due:
    """List what the retention periods say must go (nothing is changed)."""
    active_account = (
        sa.select(User.id).where(User.member_id == Member.id, User.active).exists()
    )
    members = db.session.execute(
        sa.select(Member.id, Member.first_name, Member.last_name, Member.left_on)
        .where(
            Member.left_on < _member_limit(),
            Member.anonymised_at.is_(None),
            ~active_account,
        )
        .order_by(Member.left_on, Member.id)
    ).all()
    return Due(
        members=[(m.id, f"{m.first_name} {m.last_name}", m.left_on) for m in members],
        security_events=_count(SecurityEvent, _security_condition()),
        sessions=_count(AuthSession, _session_condition()),
        mail_bodies=_count(OutboxMessage, bodies_due_condition()),
    )


@dataclass
class PurgeReport:
    anonymised: int = 0
    security_events: int = 0
    sessions: int = 0
    mail_bodies: int = 0
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.anonymised} membre(s) anonymisé(s), "
            f"{self.security_events} entrée(s) du journal de sécurité supprimée(s), "
            f"{self.sessions} session(s) supprimée(s), "
            f"{self.mail_bodies} texte(s) de courriel effacé(s)"
        )


def purge() -> PurgeReport:
    """Apply the retention periods; log one change-log entry saying what went."""
    report = PurgeReport()
    for member_id, _name, _left in due().members:
        try:
            anonymise_member(member_id)
        except AnonymisationRefused as exc:  # linked to an account meanwhile
            report.refused.append(f"n° {member_id} : {exc}")
            continue
        report.anonymised += 1
    report.security_events = db.session.execute(
        sa.delete(SecurityEvent.__table__).where(_security_condition())
    ).rowcount
    report.sessions = db.session.execute(
        sa.delete(AuthSession.__table__).where(_session_condition())
    ).rowcount
    db.session.commit()
    report.mail_bodies = purge_bodies()
    actor = current_actor()
    db.session.add(
        ChangeLog(
            changed_at=utcnow(),
            actor_id=actor.id,
            actor_label=actor.label[:254],
            record_type="purge",
            record_id=0,
            record_label="Purge des données (durées de conservation)",
            kind=ChangeKind.delete,
            changes={},
            snapshot={},
            batch=uuid.uuid4().hex,
            note=report.summary()[:300],
        )
    )
    db.session.commit()
    wipe_free_space()
    return report
