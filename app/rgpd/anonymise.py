"""The right to erasure: a member's identifying values gone, statistics kept.

The member's record keeps its id, collège, role and dates (attendance counts per
meeting and per collège still add up); the name becomes "Membre anonymisé n° 123"
and every screen, compte rendu or list that shows the member follows. The
person's values are then purged from the change log (snapshots, diffs, labels),
their messages and consents are deleted, and on SQLite the WAL is checkpointed
so that, with ``secure_delete`` on, the old bytes are gone from the files too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.history import current_actor
from app.models import (
    OPEN_ACTION_STATUSES,
    Action,
    ChangeKind,
    ChangeLog,
    Meeting,
    Member,
    SecurityEvent,
    User,
)
from app.models.base import format_date_fr, utcnow
from app.rgpd.registry import HOLDINGS, MEMBER_ERASE, Holding, OnErase

#: Note of the one history entry an anonymisation leaves.
NOTE = "Anonymisation (RGPD)"
#: Change-log rows read per query while scrubbing (bounded memory).
BATCH = 500


class AnonymisationRefused(ValueError):
    """The member cannot be anonymised; the message is French, for the screen."""


@dataclass
class Preview:
    """What an anonymisation will change, in French, before it is done."""

    member_id: int
    lines: list[str] = field(default_factory=list)


def anonymised_label(member_id: int) -> str:
    return f"Membre anonymisé n° {member_id}"


def check_allowed(member: Member) -> None:
    """Raise ``AnonymisationRefused`` when the member must not be anonymised."""
    if member.anonymised_at is not None:
        raise AnonymisationRefused(
            f"Ce membre a déjà été anonymisé le {format_date_fr(member.anonymised_at)}."
        )
    active = db.session.execute(
        sa.select(User.email).where(User.member_id == member.id, User.active)
    ).first()
    if active is not None:
        raise AnonymisationRefused(
            "Ce membre est lié à un compte actif de l'outil : désactivez d'abord "
            "le compte (Administration › Comptes), puis anonymisez."
        )


def _rows(holding: Holding, member_id: int) -> list[Any]:
    column = getattr(holding.model, holding.link)
    return list(
        db.session.execute(
            sa.select(holding.model).where(column == member_id)
        ).scalars()
    )


def preview(member: Member) -> Preview:
    """Say what will change (open actions, comptes rendus written...)."""
    check_allowed(member)
    result = Preview(member.id)
    result.lines.append(
        f"Nom, prénom, courriel, téléphone, commune, structure et notes remplacés : "
        f"la fiche devient « {anonymised_label(member.id)} » ; collège, rôle et "
        "dates restent pour les statistiques."
    )
    open_actions = db.session.execute(
        sa.select(sa.func.count()).where(
            Action.owner_id == member.id, Action.status.in_(OPEN_ACTION_STATUSES)
        )
    ).scalar_one()
    if open_actions:
        result.lines.append(
            f"{open_actions} action(s) ouverte(s) restent attribuées au membre "
            "anonymisé : pensez à les confier à quelqu'un d'autre."
        )
    written = db.session.execute(
        sa.select(sa.func.count()).where(Meeting.author_id == member.id)
    ).scalar_one()
    if written:
        result.lines.append(
            f"{written} compte(s) rendu(s) rédigé(s) : la rédaction affichera "
            f"« {anonymised_label(member.id)} »."
        )
    for holding in HOLDINGS[1:]:
        count = len(_rows(holding, member.id))
        if not count:
            continue
        label = getattr(holding.model, "__label_plural__", holding.section)
        if holding.on_erase is OnErase.delete:
            result.lines.append(f"{label} : {count} supprimé(s).")
        elif holding.erase:
            result.lines.append(f"{label} : {count} conservé(s), commentaires effacés.")
        else:
            result.lines.append(f"{label} : {count} conservé(s).")
    result.lines.append(
        "L'historique des modifications est purgé de ses valeurs ; une seule entrée "
        "dira qu'une anonymisation a eu lieu, quand et par qui."
    )
    return result


def _personal_values(member: Member) -> list[str]:
    """The strings to hunt in the change log (longest first: full name first).

    A first or last name alone is not hunted: it would also rewrite other
    people sharing it, and free texts written by people stay as written.
    """
    values = {
        member.full_name,
        f"{member.last_name} {member.first_name}",
        member.email or "",
        member.phone or "",
    }
    return sorted((v for v in values if v.strip()), key=len, reverse=True)


def _scrub(value: Any, needles: list[str], replacement: str) -> Any:
    """``value`` (JSON-like) with every needle replaced, case-insensitively."""
    if isinstance(value, str):
        lowered = value.lower()
        for needle in needles:
            start = lowered.find(needle.lower())
            while start != -1:
                value = value[:start] + replacement + value[start + len(needle) :]
                lowered = value.lower()
                start = lowered.find(needle.lower(), start + len(replacement))
        return value
    if isinstance(value, list):
        return [_scrub(v, needles, replacement) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, needles, replacement) for k, v in value.items()}
    return value


def _drop_keys(entry: dict, keys: Iterable[str], *, diff: bool) -> dict:
    if diff:
        return {k: v for k, v in (entry or {}).items() if k not in keys}
    return {k: (None if k in keys else v) for k, v in (entry or {}).items()}


def _purge_log(member: Member, needles: list[str], related: dict[str, Any]) -> None:
    """Rewrite or delete the change-log rows holding the person's values."""
    log = ChangeLog.__table__
    replacement = anonymised_label(member.id)
    # The member's own entries hold every previous value: they go entirely,
    # as do those of the rows deleted with the person (consents).
    doomed = [(Member.__tablename__, [member.id])]
    for holding, ids in related.values():
        if holding.on_erase is OnErase.delete and ids:
            doomed.append((holding.model.__tablename__, ids))
    for table_name, ids in doomed:
        for start in range(0, len(ids), BATCH):
            db.session.execute(
                log.delete().where(
                    log.c.record_type == table_name,
                    log.c.record_id.in_(ids[start : start + BATCH]),
                )
            )
    erased_keys = {
        holding.model.__tablename__: (set(holding.erase), set(ids))
        for holding, ids in related.values()
        if holding.erase
    }
    last_id = 0
    while True:
        rows = db.session.execute(
            sa.select(
                log.c.id,
                log.c.record_type,
                log.c.record_id,
                log.c.record_label,
                log.c.changes,
                log.c.snapshot,
                log.c.note,
            )
            .where(log.c.id > last_id)
            .order_by(log.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        for row in rows:
            changes = _scrub(row.changes, needles, replacement)
            snap = _scrub(row.snapshot, needles, replacement)
            keys, ids = erased_keys.get(row.record_type, (set(), set()))
            if keys and row.record_id in ids:
                changes = _drop_keys(changes, keys, diff=True)
                snap = _drop_keys(snap, keys, diff=False)
            label = _scrub(row.record_label, needles, replacement)
            note = _scrub(row.note, needles, replacement)
            if (changes, snap, label, note) != (
                row.changes,
                row.snapshot,
                row.record_label,
                row.note,
            ):
                db.session.execute(
                    log.update()
                    .where(log.c.id == row.id)
                    .values(
                        changes=changes, snapshot=snap, record_label=label, note=note
                    )
                )


def anonymise_member(member_id: int) -> Member:
    """Anonymise the member for good, in one transaction, and commit.

    Raises ``AnonymisationRefused`` (French message) when refused; nothing is
    changed then. Running it again on the same member is refused the same way.
    """
    member = db.session.get(Member, member_id)
    if member is None:
        raise AnonymisationRefused(f"Aucun membre n° {member_id}.")
    check_allowed(member)
    needles = _personal_values(member)
    email = member.email
    related = {
        holding.section: (holding, [row.id for row in _rows(holding, member.id)])
        for holding in HOLDINGS[1:]
    }
    try:
        for holding, _ids in related.values():
            for row in _rows(holding, member.id):
                if holding.on_erase is OnErase.delete:
                    db.session.delete(row)
                elif holding.model is User:
                    # An inactive account keeps its own e-mail (an account is not
                    # a member record) but no longer points to the person.
                    row.member_id = None
                else:
                    for key, value in holding.erase.items():
                        setattr(row, key, value)
        for key, value in MEMBER_ERASE.items():
            if isinstance(value, str):
                value = value.format(id=member.id)
            setattr(member, key, value)
        member.anonymised_at = utcnow()
        db.session.flush()
        if email:
            db.session.execute(
                sa.delete(SecurityEvent.__table__).where(
                    SecurityEvent.__table__.c.email == email
                )
            )
        _purge_log(member, needles, related)
        actor = current_actor()
        db.session.add(
            ChangeLog(
                changed_at=utcnow(),
                actor_id=actor.id,
                actor_label=actor.label[:254],
                record_type=Member.__tablename__,
                record_id=member.id,
                record_label=anonymised_label(member.id),
                kind=ChangeKind.update,
                changes={},
                snapshot={},
                batch=uuid.uuid4().hex,
                note=NOTE,
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    wipe_free_space()
    return member


def wipe_free_space() -> None:
    """On SQLite, fold the WAL into the file and empty it (old pages gone).

    ``secure_delete`` (set on every connection, app/db.py) has zeroed the freed
    cells; the checkpoint copies the new pages over the old ones and TRUNCATE
    leaves a WAL of zero bytes. PostgreSQL reuses dead tuples after VACUUM; its
    backups age out as docs/rgpd.md says.
    """
    if db.engine.dialect.name != "sqlite":
        return
    # The raw connection is in autocommit mode (app/db.py): a checkpoint cannot
    # run inside the BEGIN IMMEDIATE that SQLAlchemy would open first.
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.fetchall()
        cursor.close()
    finally:
        raw.close()
