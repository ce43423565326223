"""The status workflow of a document: which changes are allowed, in French.

Brouillon → En relecture → Validé → Transmis → Publié, and the two steps back
a team really takes (en relecture → brouillon, validé → en relecture).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import ChangeKind, ChangeLog, Document, DocumentStatus
from app.timezone import paris_time

S = DocumentStatus
FORWARD: tuple[DocumentStatus, ...] = (
    S.draft,
    S.review,
    S.approved,
    S.sent,
    S.published,
)
BACK: dict[DocumentStatus, DocumentStatus] = {S.review: S.draft, S.approved: S.review}
#: Statuses that say the document left the council: a transmission must exist.
NEEDS_TRANSMISSION = frozenset({S.sent, S.published})


def next_status(status: DocumentStatus) -> DocumentStatus | None:
    index = FORWARD.index(status)
    return FORWARD[index + 1] if index + 1 < len(FORWARD) else None


def allowed_targets(status: DocumentStatus) -> list[DocumentStatus]:
    """Statuses reachable in one step from ``status`` (forward first)."""
    targets = [t for t in (next_status(status), BACK.get(status)) if t is not None]
    return targets


def transition_error(old: DocumentStatus | None, new: DocumentStatus) -> str | None:
    """Why ``old`` → ``new`` is refused (French), or None when it is allowed."""
    if old is None or old == new or new in allowed_targets(old):
        return None
    targets = allowed_targets(old)
    choices = " ou ".join(f"« {t.label} »" for t in targets) or "aucun autre statut"
    return (
        f"Un document ne passe pas de « {old.label} » à « {new.label} » en une fois : "
        f"depuis « {old.label} », il peut passer à {choices}."
    )


TRANSMISSION_NEEDED = (
    "Pour marquer le document « {status} », indiquez d'abord sa première "
    "transmission (à qui, quand, comment) dans la partie « Transmissions »."
)


def step_forward(document: Document) -> str | None:
    """Move ``document`` one step forward; return why not (French) or None."""
    target = next_status(document.status)
    if target is None:
        return f"« {document} » est déjà « {document.status.label} »."
    if target in NEEDS_TRANSMISSION and not document.transmissions:
        return f"« {document} » attend sa première transmission."
    document.status = target
    return None


@dataclass(frozen=True)
class StatusStep:
    when: str
    who: str
    old: str | None
    new: str


def _label(code) -> str:
    if code in S.__members__:
        return S[code].label
    return str(code or "—")


def status_timeline(document_id: int) -> list[StatusStep]:
    """Each status a document took, when and by whom, read from the history."""
    entries = db.session.execute(
        sa.select(ChangeLog)
        .where(ChangeLog.record_type == Document.__tablename__)
        .where(ChangeLog.record_id == document_id)
        .where(ChangeLog.kind != ChangeKind.delete)
        .order_by(ChangeLog.id)
    ).scalars()
    steps = []
    for entry in entries:
        if entry.kind == ChangeKind.create:
            old, new = None, (entry.snapshot or {}).get("status")
        elif "status" in (entry.changes or {}):
            old, new = entry.changes["status"]
        else:
            continue
        steps.append(
            StatusStep(
                when=paris_time(entry.changed_at),
                who=entry.actor_label,
                old=_label(old) if old is not None else None,
                new=_label(new),
            )
        )
    return steps
