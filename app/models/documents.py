"""Documents: opinions, minutes, contributions, their files (versions) and circuit."""

from __future__ import annotations

from datetime import date, datetime
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
    from app.models.accounts import User
    from app.models.meetings import Meeting
    from app.models.people import Member, Organisation, WorkingGroup
    from app.models.plans import PlanAction


class DocumentKind(LabelledEnum):
    opinion = "Avis"
    minutes = "Compte rendu"
    contribution = "Contribution"
    correspondence = "Courrier / courriel"
    appendix = "Annexe"
    presentation = "Présentation"
    other = "Autre"


class DocumentStatus(LabelledEnum):
    draft = "Brouillon"
    review = "En relecture"
    approved = "Validé"
    sent = "Transmis"
    published = "Publié"


class TransmissionMeans(LabelledEnum):
    email = "Courriel"
    letter = "Courrier"
    by_hand = "Remise en main propre"
    other = "Autre (réunion, point presse…)"


document_plan_action = sa.Table(
    "document_plan_action",
    db.metadata,
    sa.Column(
        "document_id",
        sa.ForeignKey("document.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "plan_action_id",
        sa.ForeignKey("plan_action.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Document(TimestampMixin, db.Model):
    __tablename__ = "document"
    __label__ = "Document"
    __label_plural__ = "Documents"
    #: What the search index holds (app/search/registry.py): title fields weigh more.
    __search_index__ = {"code": 13, "title": ("title",), "body": ("body", "recipients")}

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300), info={"label": "Titre"})
    kind: Mapped[DocumentKind] = mapped_column(
        enum_column(DocumentKind, "document_kind"),
        default=DocumentKind.other,
        info={"label": "Type"},
    )
    status: Mapped[DocumentStatus] = mapped_column(
        enum_column(DocumentStatus, "document_status"),
        default=DocumentStatus.draft,
        info={"label": "Statut"},
    )
    #: The text itself (Markdown, shown sanitised): a contribution e-mail, a short avis.
    body: Mapped[str | None] = mapped_column(sa.Text, info={"label": "Texte"})
    #: Quote the text in full in the compte rendu of the document's meeting.
    quote_in_minutes: Mapped[bool] = mapped_column(
        sa.Boolean,
        default=False,
        server_default=sa.false(),
        info={"label": "Citer le texte dans le compte rendu"},
    )
    #: Link to the shared drive copy, when the file lives there.
    url: Mapped[str | None] = mapped_column(
        sa.String(500), info={"label": "Lien externe"}
    )
    #: Number of the file version chosen as current; empty: the latest one.
    chosen_version: Mapped[int | None] = mapped_column(
        sa.Integer, info={"label": "Version de fichier retenue"}
    )
    doc_version: Mapped[str | None] = mapped_column(
        sa.String(30), info={"label": "Version du document"}
    )
    doc_date: Mapped[date | None] = mapped_column(sa.Date, info={"label": "Date"})
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="RESTRICT"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("working_group.id", ondelete="RESTRICT"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="RESTRICT"), index=True
    )
    recipients: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": "Destinataires"}
    )
    public: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, info={"label": "Public"}
    )

    author: Mapped[Member | None] = relationship(info={"label": "Auteur·rice"})
    group: Mapped[WorkingGroup | None] = relationship(info={"label": "Groupe"})
    meeting: Mapped[Meeting | None] = relationship(info={"label": "Réunion"})
    plan_actions: Mapped[list[PlanAction]] = relationship(
        secondary=document_plan_action, info={"label": "Actions du plan liées"}
    )
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="DocumentVersion.number",
        info={"label": "Fichiers (versions)"},
    )
    transmissions: Mapped[list[Transmission]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        passive_deletes=True,
        # Dated steps in date order, then the undated ones as entered.
        order_by=lambda: [
            Transmission.sent_on.is_(None),
            Transmission.sent_on,
            Transmission.id,
        ],
        info={"label": "Transmissions"},
    )

    __table_args__ = (
        sa.CheckConstraint(
            "chosen_version IS NULL OR chosen_version >= 1", name="chosen_version"
        ),
        sa.Index("ix_document_kind", "kind"),
        sa.Index("ix_document_status", "status"),
        sa.Index("ix_document_doc_date", "doc_date"),
        sa.Index("ix_document_public", "public"),
    )

    def __str__(self) -> str:
        return self.title or f"Document n° {self.id}"

    @property
    def current_version(self) -> DocumentVersion | None:
        """The chosen version, or else the latest one (None without any file)."""
        if not self.versions:
            return None
        if self.chosen_version is not None:
            for version in self.versions:
                if version.number == self.chosen_version:
                    return version
        return self.versions[-1]


class DocumentVersion(db.Model):
    """One uploaded file of a document; its bytes are in ``document_chunk``."""

    __tablename__ = "document_version"
    __label__ = "Version"
    __label_plural__ = "Versions de fichiers"
    __str_relations__ = ("document",)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document.id", ondelete="CASCADE")
    )
    #: 1 for the first upload of the document, then 2, 3…
    number: Mapped[int] = mapped_column(sa.Integer, info={"label": "N° de version"})
    #: Cleaned name (no path, no control character, one extension).
    filename: Mapped[str] = mapped_column(
        sa.String(255), info={"label": "Nom du fichier"}
    )
    #: Type decided from the content; sent back as Content-Type on download.
    media_type: Mapped[str] = mapped_column(sa.String(120), info={"label": "Type"})
    size: Mapped[int] = mapped_column(sa.BigInteger, info={"label": "Taille (octets)"})
    sha256: Mapped[str] = mapped_column(
        sa.String(64), info={"label": "Empreinte SHA-256"}
    )
    note: Mapped[str | None] = mapped_column(sa.Text, info={"label": "Note"})
    uploaded_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Déposé le"}
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    #: Who uploaded it, as written in the history (kept if the account goes).
    uploaded_by_label: Mapped[str] = mapped_column(
        sa.String(254), info={"label": "Déposé par"}
    )

    document: Mapped[Document] = relationship(
        back_populates="versions", info={"label": "Document"}
    )
    uploaded_by: Mapped[User | None] = relationship(info={"label": "Compte"})

    __table_args__ = (
        sa.UniqueConstraint("document_id", "number", name="uq_document_version_number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint("size > 0", name="size_positive"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    def __str__(self) -> str:
        return f"{self.filename} (version {self.number})"


class DocumentChunk(db.Model):
    """A slice of a file's bytes. Kept out of the history (the version row is there)."""

    __tablename__ = "document_chunk"
    __history__ = False

    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document_version.id", ondelete="CASCADE"), primary_key=True
    )
    #: 0, 1, 2… in file order.
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class Transmission(TimestampMixin, db.Model):
    """One step of a document's circuit: sent to whom, when, how."""

    __tablename__ = "transmission"
    __label__ = "Transmission"
    __label_plural__ = "Transmissions"
    __str_relations__ = ("member", "organisation")

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    #: Recipients that are no record: "élus de Lorient Agglomération", "presse".
    recipient_text: Mapped[str | None] = mapped_column(
        sa.String(200), info={"label": "Destinataire (texte libre)"}
    )
    #: Empty when the date is not known.
    sent_on: Mapped[date | None] = mapped_column(sa.Date, info={"label": "Date"})
    means: Mapped[TransmissionMeans] = mapped_column(
        enum_column(TransmissionMeans, "transmission_means"),
        default=TransmissionMeans.email,
        info={"label": "Moyen"},
    )
    note: Mapped[str | None] = mapped_column(sa.Text, info={"label": "Note"})

    document: Mapped[Document] = relationship(
        back_populates="transmissions", info={"label": "Document"}
    )
    member: Mapped[Member | None] = relationship(info={"label": "Membre destinataire"})
    organisation: Mapped[Organisation | None] = relationship(
        info={"label": "Structure destinataire"}
    )

    __table_args__ = (
        sa.CheckConstraint(
            "member_id IS NOT NULL OR organisation_id IS NOT NULL "
            "OR (recipient_text IS NOT NULL AND recipient_text <> '')",
            name="recipient",
        ),
        sa.Index("ix_transmission_sent_on", "sent_on"),
    )

    @property
    def recipient(self) -> str:
        """ "Solenn Bréhaut", "élus (Lorient Agglomération)", "presse"."""
        names = [str(x) for x in (self.member, self.organisation) if x is not None]
        text = (self.recipient_text or "").strip()
        if text and names:
            return f"{text} ({', '.join(names)})"
        return text or ", ".join(names)

    def __str__(self) -> str:
        return f"Transmission à {self.recipient or '?'}"
