"""The amendment's circuit: proposé → retenu par le groupe → transmis → accepté /
rejeté, each step recorded with who and when."""

from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.history.actor import current_actor
from app.models.base import utcnow
from app.models.plans import Amendment, AmendmentStatus, AmendmentStep

S = AmendmentStatus
#: Where an amendment may go from each status. Going back one step is allowed
#: (a group reconsiders, a rejected amendment is proposed again).
TRANSITIONS: dict[AmendmentStatus, tuple[AmendmentStatus, ...]] = {
    S.proposed: (S.adopted_by_group, S.rejected),
    S.adopted_by_group: (S.sent, S.proposed),
    S.sent: (S.accepted, S.rejected),
    S.accepted: (),
    S.rejected: (S.proposed,),
}
#: The button text of each move.
VERBS = {
    S.proposed: "Remettre à l'état « proposé »",
    S.adopted_by_group: "Retenir par le groupe",
    S.sent: "Marquer comme transmis",
    S.accepted: "Marquer comme accepté",
    S.rejected: "Marquer comme rejeté",
}
#: Statuses in which the amendment counts for the council's avis.
RETAINED = (S.adopted_by_group, S.sent, S.accepted)


class CircuitError(ValueError):
    """A move the circuit does not allow (French message)."""


def next_statuses(amendment: Amendment) -> tuple[AmendmentStatus, ...]:
    return TRANSITIONS.get(amendment.status, ())


def move(
    amendment: Amendment,
    to: AmendmentStatus,
    note: str | None = None,
    at: datetime | None = None,
) -> AmendmentStep:
    """Move the amendment to ``to`` and record the step (not committed)."""
    if to not in next_statuses(amendment):
        raise CircuitError(
            f"Un amendement « {amendment.status.label} » ne peut pas passer à "
            f"« {to.label} »."
        )
    actor = current_actor()
    step = AmendmentStep(
        amendment=amendment,
        from_status=amendment.status,
        to_status=to,
        changed_at=at or utcnow(),
        actor_id=actor.id,
        actor_label=actor.label,
        note=(note or "").strip() or None,
    )
    amendment.status = to
    db.session.add(step)
    return step


def record_creation(amendment: Amendment) -> AmendmentStep:
    """The first step of a new amendment (who entered it, when)."""
    actor = current_actor()
    step = AmendmentStep(
        amendment=amendment,
        from_status=None,
        to_status=amendment.status,
        changed_at=utcnow(),
        actor_id=actor.id,
        actor_label=actor.label,
    )
    db.session.add(step)
    return step
