"""Documents: opinions, minutes, contributions and their files or links."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import LabelledEnum, TimestampMixin, enum_column

if TYPE_CHECKING:
    from app.models.meetings import Meeting
    from app.models.people import Member, WorkingGroup
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
    __search_index__ = {"title": ("title",), "body": ("recipients",)}

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
    #: Link to the shared drive copy, when the file lives there.
    url: Mapped[str | None] = mapped_column(
        sa.String(500), info={"label": "Lien externe"}
    )
    #: Name of the uploaded file inside the instance upload folder.
    file_path: Mapped[str | None] = mapped_column(
        sa.String(300), info={"label": "Fichier"}
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

    __table_args__ = (
        sa.Index("ix_document_kind", "kind"),
        sa.Index("ix_document_status", "status"),
        sa.Index("ix_document_doc_date", "doc_date"),
        sa.Index("ix_document_public", "public"),
    )

    def __str__(self) -> str:
        return self.title or f"Document n° {self.id}"
