"""What was sent: per meeting (its page) and per member (their RGPD export)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Invitation, OutboxMessage


def meeting_messages(meeting_id: int) -> list[OutboxMessage]:
    return list(
        db.session.execute(
            sa.select(OutboxMessage)
            .where(OutboxMessage.meeting_id == meeting_id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        ).scalars()
    )


def member_mail_export(member_id: int) -> dict[str, list[dict]]:
    """Every message sent to a member and every invitation, as plain data (the
    RGPD export of a member adds this section)."""
    messages = db.session.execute(
        sa.select(OutboxMessage)
        .where(OutboxMessage.member_id == member_id)
        .order_by(OutboxMessage.created_at)
    ).scalars()
    invitations = db.session.execute(
        sa.select(Invitation)
        .where(Invitation.member_id == member_id)
        .order_by(Invitation.id)
    ).scalars()
    return {
        "courriels": [
            {
                "date": m.created_at.isoformat(),
                "adresse": m.to_address,
                "sujet": m.subject,
                "objet": m.purpose.label,
                "etat": m.state.label,
                "envoye_le": m.sent_at.isoformat() if m.sent_at else None,
                "texte": m.body,
                "pieces_jointes": [a.filename for a in m.attachments],
            }
            for m in messages
        ],
        "convocations": [
            {
                "reunion": str(i.meeting),
                "envoyee_le": i.sent_at.isoformat() if i.sent_at else None,
                "reponse": i.reply.label,
                "repondu_le": i.replied_at.isoformat() if i.replied_at else None,
                "commentaire": i.comment,
                "represente_par": i.represented_by,
            }
            for i in invitations
        ],
    }
