"""E-mail: the outbox of messages to send, and convocations to meetings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import (
    LabelledEnum,
    TimestampMixin,
    UTCDateTime,
    enum_column,
    utcnow,
)

if TYPE_CHECKING:
    from app.models.meetings import Meeting
    from app.models.people import Member


class MessageState(LabelledEnum):
    pending = "En attente"
    sending = "Envoi en cours"
    sent = "Envoyé"
    temporary_failure = "Échec temporaire"
    permanent_failure = "Échec définitif"


class MessagePurpose(LabelledEnum):
    convocation = "Convocation"
    reminder = "Rappel"
    change = "Modification de réunion"
    cancellation = "Annulation de réunion"
    report = "Compte rendu"
    other = "Autre"


class InvitationReply(LabelledEnum):
    none = "Sans réponse"
    present = "Présent·e"
    excused = "Excusé·e"


#: States the sender picks up (when their next attempt is due).
QUEUED_STATES = (MessageState.pending, MessageState.temporary_failure)


class OutboxMessage(db.Model):
    """One e-mail, written in the transaction of the action that causes it.

    Not recorded in the change log: bodies are purged after the retention
    period, and a copy in the log would outlive them.
    """

    __tablename__ = "outbox_message"
    __label__ = "Courriel"
    __label_plural__ = "Courriels"
    __history__ = False
    __str_relations__ = ()

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[MessagePurpose] = mapped_column(
        enum_column(MessagePurpose, "message_purpose"),
        default=MessagePurpose.other,
        info={"label": "Objet de l'envoi"},
    )
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="SET NULL"), index=True
    )
    #: Lower-cased, as on the member record; failures are counted per address.
    to_address: Mapped[str] = mapped_column(
        sa.String(254), info={"label": "Destinataire"}
    )
    to_name: Mapped[str | None] = mapped_column(
        sa.String(200), info={"label": "Nom du destinataire"}
    )
    subject: Mapped[str] = mapped_column(sa.String(255), info={"label": "Sujet"})
    #: Plain-text body; emptied (with the attachments) after the retention period.
    body: Mapped[str | None] = mapped_column(sa.Text, info={"label": "Texte"})
    state: Mapped[MessageState] = mapped_column(
        enum_column(MessageState, "message_state"),
        default=MessageState.pending,
        info={"label": "État"},
    )
    attempts: Mapped[int] = mapped_column(
        sa.Integer, default=0, info={"label": "Tentatives"}
    )
    #: When the sender may try (again); NULL once sent or failed for good.
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Prochaine tentative"}
    )
    #: When a sender took the message ("envoi en cours"); a stale claim is a crash.
    claimed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Pris en charge le"}
    )
    last_error: Mapped[str | None] = mapped_column(
        sa.String(500), info={"label": "Dernière erreur"}
    )
    sent_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Envoyé le"}
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Créé le"}
    )
    #: Account or command that queued the message.
    created_by: Mapped[str | None] = mapped_column(
        sa.String(254), info={"label": "Demandé par"}
    )
    #: Set when the body and attachments were purged (retention period).
    purged_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Texte effacé le"}
    )
    #: The Message-ID header, set when the message is first built.
    message_id: Mapped[str | None] = mapped_column(
        sa.String(255), info={"label": "Identifiant du message"}
    )

    meeting: Mapped[Meeting | None] = relationship(info={"label": "Réunion"})
    member: Mapped[Member | None] = relationship(info={"label": "Membre"})
    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message",
        cascade="all, delete-orphan",
        order_by="OutboxAttachment.id",
        info={"label": "Pièces jointes"},
    )

    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_outbox_message_state_next", "state", "next_attempt_at"),
        sa.Index("ix_outbox_message_to_address", "to_address"),
        sa.Index("ix_outbox_message_created_at", "created_at"),
        sa.Index("ix_outbox_message_purpose", "purpose"),
    )

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_address}"


class OutboxAttachment(db.Model):
    __tablename__ = "outbox_attachment"
    __label__ = "Pièce jointe"
    __label_plural__ = "Pièces jointes"
    __history__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(
        sa.String(255), info={"label": "Nom du fichier"}
    )
    #: MIME type, e.g. "text/calendar; method=REQUEST".
    content_type: Mapped[str] = mapped_column(sa.String(120), info={"label": "Type"})
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, info={"label": "Contenu"})

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")

    def __str__(self) -> str:
        return self.filename or ""


class Invitation(TimestampMixin, db.Model):
    """A member convoked to a meeting, and their answer through the personal link."""

    __tablename__ = "invitation"
    __label__ = "Convocation"
    __label_plural__ = "Convocations"
    __str_relations__ = ("member",)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("member.id", ondelete="CASCADE"), index=True
    )
    #: Last convocation, reminder or change notice sent (NULL: not yet by e-mail).
    sent_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Envoyée le"}
    )
    #: SHA-256 (hex) of the secret in the personal link; each new message to the
    #: member carries a fresh link that replaces the previous one.
    token_hash: Mapped[str | None] = mapped_column(
        sa.String(64), info={"label": "Empreinte du lien"}
    )
    valid_until: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Lien valable jusqu'au"}
    )
    reply: Mapped[InvitationReply] = mapped_column(
        enum_column(InvitationReply, "invitation_reply"),
        default=InvitationReply.none,
        info={"label": "Réponse"},
    )
    replied_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Répondu le"}
    )
    comment: Mapped[str | None] = mapped_column(sa.Text, info={"label": "Commentaire"})
    represented_by: Mapped[str | None] = mapped_column(
        sa.String(200), info={"label": "Représenté·e par"}
    )
    reminded_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Relancé·e le"}
    )

    meeting: Mapped[Meeting] = relationship(info={"label": "Réunion"})
    member: Mapped[Member] = relationship(info={"label": "Membre"})

    __table_args__ = (
        sa.UniqueConstraint(
            "meeting_id", "member_id", name="uq_invitation_meeting_member"
        ),
        sa.UniqueConstraint("token_hash", name="uq_invitation_token_hash"),
        sa.Index("ix_invitation_reply", "reply"),
    )

    def __str__(self) -> str:
        member = self.member
        reply = self.reply.label if self.reply else ""
        return f"{member or 'Membre'} : {reply}"
