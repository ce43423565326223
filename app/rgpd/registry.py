"""Where the personal data of a member lives: one line per table.

The export, the anonymisation and the register page read this list, so a new
table that refers to members is covered by adding its ``Holding`` here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import sqlalchemy as sa

from app.models import (
    Action,
    Amendment,
    Attendance,
    Consent,
    Document,
    Invitation,
    Meeting,
    Member,
    Membership,
    OutboxMessage,
    User,
)


class OnErase(Enum):
    """What the anonymisation does with a row that refers to the member."""

    #: The row stays (statistics: attendance per meeting, actions, authorship);
    #: it points to the anonymised member, so names shown from it follow.
    keep = "keep"
    #: The row goes (messages sent, consents: they only make sense for a person).
    delete = "delete"


@dataclass(frozen=True)
class Holding:
    """One table holding personal data of a member."""

    model: type
    #: Column naming the member ("id" for the member's own record).
    link: str
    #: Name of the export's section (file name without extension, French).
    section: str
    on_erase: OnErase = OnErase.keep
    #: Columns emptied (set to the given value) when the member is anonymised.
    erase: dict[str, Any] = field(default_factory=dict)
    #: Exported columns; None for all (secret columns are never exported).
    columns: tuple[str, ...] | None = None
    #: Whether the change-log entries of these rows are part of the export and
    #: purged of the person's values (False where the rows mostly hold other
    #: people's words: the text of a compte rendu the member wrote).
    history: bool = True
    #: Whether the export writes the rows itself (False: another section does).
    export: bool = True


#: Columns of the member's own record replaced on anonymisation (``str.format``
#: gets the member's id; None empties the column).
MEMBER_ERASE: dict[str, Any] = {
    "first_name": "Membre anonymisé",
    "last_name": "n° {id}",
    "email": None,
    "phone": None,
    "town": None,
    "notes": None,
    "organisation_id": None,
}

HOLDINGS: list[Holding] = [
    Holding(Member, "id", "fiche"),
    Holding(Membership, "member_id", "groupes"),
    Holding(Attendance, "member_id", "presences"),
    Holding(Action, "owner_id", "actions"),
    Holding(
        Meeting,
        "author_id",
        "comptes_rendus_rediges",
        columns=("id", "kind", "starts_at", "place", "status"),
        history=False,
    ),
    Holding(
        Document,
        "author_id",
        "documents_rediges",
        columns=("id", "title", "kind", "status", "doc_date", "doc_version"),
        history=False,
    ),
    Holding(Amendment, "proposed_by_id", "amendements_proposes"),
    Holding(
        Invitation,
        "member_id",
        "convocations",
        erase={"comment": None, "represented_by": None},
        export=False,
    ),
    Holding(OutboxMessage, "member_id", "courriels", OnErase.delete, export=False),
    Holding(Consent, "member_id", "consentements", OnErase.delete),
    Holding(
        User,
        "member_id",
        "compte",
        columns=("id", "email", "name", "role", "active", "created_at"),
    ),
]


def holding_rows_query(holding: Holding, member_id: int):
    """SELECT of the rows of ``holding`` that refer to the member."""
    column = getattr(holding.model, holding.link)
    return (
        sa.select(holding.model).where(column == member_id).order_by(holding.model.id)
    )
