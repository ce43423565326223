"""What deleting a record would remove, and what forbids deleting it.

A row that other rows reference through a RESTRICT foreign key blocks the
delete; rows referencing it through CASCADE would disappear with it and are
listed on the confirmation page. A few cascades also block, because losing them
silently would lose work (a group's memberships, a meeting's minutes).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.labels import field_label, model_for_table

#: Tables whose CASCADE rows still forbid the delete of the parent.
#: A document's stored files would go with it, and a restore from the history
#: brings back records, not bytes: its versions forbid the delete.
BLOCKING_CASCADES = {
    "working_group": {"membership"},
    "document": {"document_version"},
}

#: Fallback names of link tables that have no model.
LINK_TABLE_LABELS = {"document_plan_action": "liens entre documents et actions du plan"}


@dataclass
class Dependent:
    table: str
    label: str
    count: int
    blocking: bool
    #: The referencing field when it says more than the record type ("Rédaction").
    role: str | None = None
    #: The referencing rows stay, only their link is emptied (ON DELETE SET NULL).
    unlinked: bool = False

    def __str__(self) -> str:
        text = f"{self.count} {self.label.lower() if self.count > 1 else self.singular}"
        text = f"{text} ({self.role})" if self.role else text
        return f"le lien depuis {text}" if self.unlinked else text

    @property
    def singular(self) -> str:
        cls = model_for_table(self.table)
        label = getattr(cls, "__label__", self.label) if cls else self.label
        return label.lower()


def _label(table: str) -> str:
    cls = model_for_table(table)
    if cls is not None:
        return getattr(cls, "__label_plural__", cls.__name__)
    return LINK_TABLE_LABELS.get(table, table)


def _role(table: str, column: str, target: type) -> str | None:
    cls = model_for_table(table)
    if cls is None:
        return None
    label = field_label(cls, column)
    if label in (column, getattr(target, "__label__", None)):
        return None
    return label


def dependents(obj) -> list[Dependent]:
    """Rows of other tables that reference ``obj``, grouped by table."""
    own = obj.__table__
    found: list[Dependent] = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is not own or fk.column.name != "id":
                continue
            ondelete = (fk.ondelete or "NO ACTION").upper()
            stmt = sa.select(sa.func.count()).where(fk.parent == obj.id)
            if table is own:
                stmt = stmt.where(table.c.id != obj.id)
            count = db.session.execute(stmt.select_from(table)).scalar_one()
            if not count:
                continue
            blocking = ondelete not in (
                "CASCADE",
                "SET NULL",
            ) or table.name in BLOCKING_CASCADES.get(own.name, set())
            found.append(
                Dependent(
                    table.name,
                    _label(table.name),
                    count,
                    blocking,
                    _role(table.name, fk.parent.key, type(obj)),
                    unlinked=ondelete == "SET NULL",
                )
            )
    return found


def extra_blockers(obj) -> list[str]:
    """Reasons beyond foreign keys, in French."""
    reasons = []
    if getattr(obj, "has_minutes", False):
        reasons.append("son compte rendu est rédigé (contexte ou échanges)")
    return reasons


def refusal_message(obj) -> str | None:
    """Why ``obj`` cannot be deleted, in French, or None when it can."""
    blocking = [d for d in dependents(obj) if d.blocking]
    reasons = [*(str(d) for d in blocking), *extra_blockers(obj)]
    if not reasons:
        return None
    kind = getattr(type(obj), "__label__", "fiche").lower()
    text = (
        f"Suppression refusée : « {obj} » ({kind}) est encore lié·e à : "
        + ", ".join(reasons)
        + "."
    )
    if hasattr(obj, "left_on"):
        text += (
            " Archivez plutôt cette fiche (action « Archiver » de la liste, ou "
            "date « Parti·e le ») : elle restera dans l'historique et les statistiques."
        )
    elif hasattr(obj, "active"):
        text += " Vous pouvez plutôt décocher « Actif »."
    return text
