"""Bringing back an earlier version of a record, or a deleted record."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.history.recorder import BOOKKEEPING, NOTE_KEY, collection_keys, column_keys
from app.history.values import load
from app.labels import field_label, model_for_table
from app.models.history import ChangeKind, ChangeLog
from app.timezone import paris_time


class RestoreError(Exception):
    """A restore that cannot be done; the message is French and shown as is."""


def _missing_references(cls: type, snapshot: dict) -> list[str]:
    """Labels of fields whose referenced record no longer exists."""
    missing = []
    columns = sa.inspect(cls).columns
    for key, raw in snapshot.items():
        column = columns.get(key)
        if raw is None or column is None or not column.foreign_keys:
            continue
        fk = next(iter(column.foreign_keys))
        target = fk.column.table
        found = db.session.execute(
            sa.select(sa.func.count()).select_from(target).where(fk.column == raw)
        ).scalar_one()
        if not found:
            missing.append(field_label(cls, key))
    return missing


def _apply(obj, snapshot: dict, *, with_id: bool) -> None:
    cls = type(obj)
    mapper = sa.inspect(cls)
    for key in column_keys(mapper):
        if key in BOOKKEEPING or (key == "id" and not with_id) or key not in snapshot:
            continue
        setattr(obj, key, load(cls, key, snapshot[key]))
    for key in collection_keys(mapper):
        if key not in snapshot:
            continue
        target = mapper.relationships[key].mapper.class_
        ids = snapshot[key] or []
        rows = (
            db.session.execute(sa.select(target).where(target.id.in_(ids)))
            .scalars()
            .all()
            if ids
            else []
        )
        setattr(obj, key, list(rows))


def _note(entry: ChangeLog) -> str:
    return f"Restauration de l'état du {paris_time(entry.changed_at)}"


def restore_version(entry: ChangeLog, expected_version: int | None = None):
    """Give the record the values it had after ``entry``; return the record.

    The restore is an ordinary update, hence itself a new history entry.
    """
    cls = model_for_table(entry.record_type)
    if cls is None:
        raise RestoreError("Ce type de fiche n'existe plus.")
    if entry.kind == ChangeKind.delete:
        return restore_deleted(entry)
    obj = db.session.get(cls, entry.record_id)
    if obj is None:
        raise RestoreError(
            "Cette fiche a été supprimée : restaurez-la depuis le journal "
            "(ligne « Suppression »)."
        )
    if expected_version is not None and obj.version != expected_version:
        raise RestoreError(
            "La fiche a changé depuis l'affichage de cette page : rechargez "
            "l'historique avant de restaurer."
        )
    missing = _missing_references(cls, entry.snapshot)
    if missing:
        raise RestoreError(
            "Restauration impossible : la fiche liée n'existe plus pour "
            + ", ".join(f"« {m} »" for m in missing)
            + "."
        )
    db.session.info[NOTE_KEY] = _note(entry)
    _apply(obj, entry.snapshot, with_id=False)
    _commit()
    return obj


def restore_deleted(entry: ChangeLog):
    """Re-create a deleted record, with the rows deleted in the same operation
    (attendance, decisions, memberships...) whose links still make sense.

    Returns the record and the number of dependent rows brought back.
    """
    cls = model_for_table(entry.record_type)
    if cls is None or entry.kind != ChangeKind.delete:
        raise RestoreError("Cette ligne du journal n'est pas une suppression.")
    if db.session.get(cls, entry.record_id) is not None:
        raise RestoreError("Cette fiche existe déjà : rien à restaurer.")
    missing = _missing_references(cls, entry.snapshot)
    if missing:
        raise RestoreError(
            "Restauration impossible : la fiche liée n'existe plus pour "
            + ", ".join(f"« {m} »" for m in missing)
            + "."
        )
    db.session.info[NOTE_KEY] = _note(entry)
    obj = cls()
    _apply(obj, entry.snapshot, with_id=True)
    db.session.add(obj)
    db.session.flush()
    brought_back = 0
    companions = (
        db.session.execute(
            sa.select(ChangeLog)
            .where(
                ChangeLog.batch == entry.batch,
                ChangeLog.kind == ChangeKind.delete,
                ChangeLog.id != entry.id,
            )
            .order_by(ChangeLog.id)
        )
        .scalars()
        .all()
    )
    order = {t.name: i for i, t in enumerate(db.metadata.sorted_tables)}
    companions.sort(key=lambda e: (order.get(e.record_type, 0), e.id))
    for other in companions:
        other_cls = model_for_table(other.record_type)
        if other_cls is None or db.session.get(other_cls, other.record_id):
            continue
        if _missing_references(other_cls, other.snapshot):
            continue
        row = other_cls()
        _apply(row, other.snapshot, with_id=True)
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            continue
        brought_back += 1
    brought_back += _relink(entry, cls)
    _commit()
    return obj, brought_back


def _relink(entry: ChangeLog, cls: type) -> int:
    """Give back the links the delete emptied (ON DELETE SET NULL) in other records."""
    relinked = 0
    updates = db.session.execute(
        sa.select(ChangeLog).where(
            ChangeLog.batch == entry.batch, ChangeLog.kind == ChangeKind.update
        )
    ).scalars()
    for other in updates:
        other_cls = model_for_table(other.record_type)
        row = db.session.get(other_cls, other.record_id) if other_cls else None
        if row is None:
            continue
        columns = sa.inspect(other_cls).columns
        for key, (old, new) in (other.changes or {}).items():
            column = columns.get(key)
            if column is None or new is not None or old != entry.record_id:
                continue
            if any(fk.column.table is cls.__table__ for fk in column.foreign_keys):
                if getattr(row, key) is None:
                    setattr(row, key, old)
                    relinked += 1
    return relinked


def _commit() -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise RestoreError(
            "Restauration impossible : une autre fiche utilise déjà certaines de "
            "ces valeurs (nom, courriel, numéro…). Modifiez-la d'abord."
        ) from exc
