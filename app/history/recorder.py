"""Session hooks that write one change_log row per inserted, updated or deleted record.

The hooks sit on Flask-SQLAlchemy's session class, so every write path that goes
through ``db.session`` (forms, inline edit, bulk actions, imports, commands, the
demo loader) is recorded; bulk ``UPDATE``/``DELETE`` statements that bypass the
unit of work are refused by ``_refuse_bulk_writes``.

Everything happens in ``after_flush``: the new rows have their ids, the
attribute histories (previous values) are still there, and cascaded or orphan
deletes are listed in the flush plan. The rows are written with a Core INSERT
on the flush's own connection, so they commit or roll back with the change.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.orm import ColumnProperty, Mapper, RelationshipProperty, attributes

from app.extensions import db
from app.history.actor import current_actor
from app.models.base import utcnow
from app.models.history import ChangeKind, ChangeLog

#: Never copied into the log (secrets of accounts, whatever the model).
SECRET_MARKERS = ("password", "secret", "token", "hash")
#: Bookkeeping columns: kept in snapshots, never shown as a change.
BOOKKEEPING = ("created_at", "updated_at", "version")
#: Not worth listing as a change of a created or deleted record.
SILENT = ("id", *BOOKKEEPING)

BATCH_KEY = "cdpl_history_batch"
NOTE_KEY = "cdpl_history_note"


def is_tracked(cls: type) -> bool:
    return getattr(cls, "__history__", True) and "id" in sa.inspect(cls).columns


def is_secret(key: str) -> bool:
    return any(marker in key.lower() for marker in SECRET_MARKERS)


def column_keys(mapper: Mapper) -> list[str]:
    return [
        p.key
        for p in mapper.iterate_properties
        if isinstance(p, ColumnProperty) and not is_secret(p.key)
    ]


def collection_keys(mapper: Mapper) -> list[str]:
    """Many-to-many collections, whose links live in a table of their own."""
    return [
        p.key
        for p in mapper.iterate_properties
        if isinstance(p, RelationshipProperty) and p.secondary is not None
    ]


def dump(value: Any) -> Any:
    """A JSON-friendly form of a column value (see ``app.history.values.load``)."""
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _ids(objs) -> list[int]:
    return sorted(o.id for o in objs if o is not None and o.id is not None)


def snapshot(state) -> dict[str, Any]:
    obj = state.obj()
    mapper = state.mapper
    data = {key: dump(getattr(obj, key)) for key in column_keys(mapper)}
    for key in collection_keys(mapper):
        data[key] = _ids(getattr(obj, key) or [])
    return data


def _previous(state, key: str):
    hist = attributes.get_history(state.obj(), key, passive=attributes.NO_CHANGE)
    if hist.deleted:
        return hist.deleted[0], True
    return None, False


def changed_fields(state) -> dict[str, list[Any]]:
    """{field: [previous, new]} of an updated record, bookkeeping excluded."""
    obj = state.obj()
    changes: dict[str, list[Any]] = {}
    for key in column_keys(state.mapper):
        if key in BOOKKEEPING:
            continue
        hist = attributes.get_history(obj, key, passive=attributes.NO_CHANGE)
        if not hist.has_changes():
            continue
        old = dump(hist.deleted[0]) if hist.deleted else None
        new = dump(getattr(obj, key))
        if old != new:
            changes[key] = [old, new]
    for key in collection_keys(state.mapper):
        hist = attributes.get_history(obj, key, passive=attributes.NO_CHANGE)
        if not (hist.added or hist.deleted):
            continue
        now = _ids(getattr(obj, key) or [])
        before = sorted(
            {*(_ids(hist.unchanged or [])), *(_ids(hist.deleted or []))}
            - set(_ids(hist.added or []))
        )
        if before != now:
            changes[key] = [before, now]
    return changes


def _label(obj) -> str:
    try:
        text = str(obj)
    except Exception:  # a half-loaded object must not break the save
        text = ""
    return (text or f"n° {getattr(obj, 'id', '?')}")[:300]


def _after_flush(session, flush_context) -> None:
    rows = []
    actor = None
    with session.no_autoflush:
        for state, (isdelete, _listonly) in list(flush_context.states.items()):
            cls = state.class_
            if not is_tracked(cls):
                continue
            obj = state.obj()
            if obj is None:
                continue
            if isdelete:
                kind, snap = "delete", snapshot(state)
                changes = {
                    k: [v, None]
                    for k, v in snap.items()
                    if k not in SILENT and v not in (None, [])
                }
            elif not state.has_identity:
                kind, snap = "create", snapshot(state)
                changes = {
                    k: [None, v]
                    for k, v in snap.items()
                    if k not in SILENT and v not in (None, [], False)
                }
            else:
                changes = changed_fields(state)
                if not changes:
                    continue
                kind, snap = "update", snapshot(state)
            actor = actor or current_actor()
            rows.append(
                {
                    "changed_at": utcnow(),
                    "actor_id": actor.id,
                    "actor_label": actor.label[:254],
                    "record_type": cls.__tablename__,
                    "record_id": obj.id,
                    "record_label": _label(obj),
                    "kind": kind,
                    "changes": changes,
                    "snapshot": snap,
                    "batch": session.info.setdefault(BATCH_KEY, uuid.uuid4().hex),
                    "note": session.info.get(NOTE_KEY),
                }
            )
    if rows:
        table = ChangeLog.__table__
        stmt = table.insert()
        session.connection().execute(stmt, [_coerce_kind(table, r) for r in rows])


def _coerce_kind(table, row):
    row["kind"] = ChangeKind[row["kind"]]
    return row


def _set_null_references(session, flush_context, instances) -> None:
    """Clear "ON DELETE SET NULL" links through the ORM, so that the records
    losing a link (a meeting's "next meeting") get a history entry too."""
    deleted = [o for o in session.deleted if is_tracked(type(o))]
    if not deleted:
        return
    with session.no_autoflush:
        for obj in deleted:
            for mapper in db.Model.registry.mappers:
                if not is_tracked(mapper.class_):
                    continue
                for rel in mapper.relationships:
                    if (
                        rel.direction.name != "MANYTOONE"
                        or rel.mapper.class_ is not type(obj)
                    ):
                        continue
                    column = next(iter(rel.local_columns))
                    fk = next(iter(column.foreign_keys), None)
                    if fk is None or (fk.ondelete or "").upper() != "SET NULL":
                        continue
                    rows = session.execute(
                        sa.select(mapper.class_).where(column == obj.id)
                    ).scalars()
                    for row in rows:
                        if row not in session.deleted and row is not obj:
                            setattr(row, rel.key, None)


def _end_transaction(session, *args) -> None:
    session.info.pop(BATCH_KEY, None)
    session.info.pop(NOTE_KEY, None)


def _refuse_bulk_writes(orm_execute_state) -> None:
    """ORM bulk INSERT/UPDATE/DELETE skip the unit of work, hence the log: refuse them."""
    state = orm_execute_state
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    for mapper in state.all_mappers:
        if is_tracked(mapper.class_):
            raise RuntimeError(
                f"Modification groupée de {mapper.class_.__name__} hors du journal : "
                "chargez les fiches et modifiez-les une par une."
            )


_installed = False
_active_history_done: set[type] = set()


def install() -> None:
    """Attach the hooks once per process (the session class is shared by apps)."""
    global _installed
    sa.orm.configure_mappers()
    for mapper in db.Model.registry.mappers:
        _make_previous_values_loaded(mapper, mapper.class_)
    if _installed:
        return
    sa.event.listen(FlaskSession, "before_flush", _set_null_references)
    sa.event.listen(FlaskSession, "after_flush", _after_flush)
    sa.event.listen(FlaskSession, "after_commit", _end_transaction)
    sa.event.listen(FlaskSession, "after_rollback", _end_transaction)
    sa.event.listen(FlaskSession, "do_orm_execute", _refuse_bulk_writes)
    _installed = True


def _make_previous_values_loaded(mapper, cls) -> None:
    # Without active history, assigning to an expired attribute does not load
    # the value it replaces, and the log could not say what was there before.
    if cls in _active_history_done or not is_tracked(cls):
        return
    _active_history_done.add(cls)
    for prop in mapper.column_attrs:
        if prop.key in BOOKKEEPING or is_secret(prop.key):
            continue
        sa.event.listen(getattr(cls, prop.key), "set", _noop_set, active_history=True)


def _noop_set(target, value, oldvalue, initiator):
    return value


sa.event.listen(Mapper, "mapper_configured", _make_previous_values_loaded)
