"""Consent records: what a member agreed to, when, how, and its withdrawal (RGPD)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import LabelledEnum, TimestampMixin, enum_column
from app.models.people import Member


class ConsentPurpose(LabelledEnum):
    """Optional uses of personal data, each needing the person's consent."""

    phone = "Conserver le numéro de téléphone"
    photo = "Conserver une photo"
    named_in_minutes = "Apparaître nommément dans les comptes rendus publiés"
    newsletter = "Recevoir les courriels non statutaires"


class ConsentMethod(LabelledEnum):
    paper = "Formulaire papier"
    email = "Courriel"
    online = "En ligne"


class Consent(TimestampMixin, db.Model):
    """One consent given by a member for one purpose; withdrawal keeps the row."""

    __tablename__ = "consent"
    __label__ = "Consentement"
    __label_plural__ = "Consentements"
    __str_relations__ = ("member",)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("member.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[ConsentPurpose] = mapped_column(
        enum_column(ConsentPurpose, "consent_purpose"), info={"label": "Objet"}
    )
    given_on: Mapped[date] = mapped_column(sa.Date, info={"label": "Donné le"})
    method: Mapped[ConsentMethod] = mapped_column(
        enum_column(ConsentMethod, "consent_method"),
        default=ConsentMethod.paper,
        info={"label": "Recueilli par"},
    )
    #: Set when the member withdraws; the use stops from that day.
    withdrawn_on: Mapped[date | None] = mapped_column(
        sa.Date, info={"label": "Retiré le"}
    )
    #: Where the proof is (form filed in..., e-mail of...).
    proof: Mapped[str | None] = mapped_column(
        sa.String(300), info={"label": "Justificatif"}
    )

    member: Mapped[Member] = relationship(info={"label": "Membre"})

    __table_args__ = (
        sa.CheckConstraint(
            "withdrawn_on IS NULL OR withdrawn_on >= given_on",
            name="withdrawn_after_given",
        ),
        sa.Index("ix_consent_purpose", "purpose"),
        sa.Index("ix_consent_withdrawn_on", "withdrawn_on"),
    )

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None or self.withdrawn_on > date.today()

    def __str__(self) -> str:
        purpose = self.purpose.label if self.purpose else ""
        return f"{self.member or 'Membre'} — {purpose}"


__all__ = ["Consent", "ConsentMethod", "ConsentPurpose"]
