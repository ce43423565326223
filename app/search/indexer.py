"""Keeping ``search_entry`` exact: session hooks and the full rebuild.

Same approach as the change history (``app.history.recorder``): the hook sits
on Flask-SQLAlchemy's session class, so every write through ``db.session``
(forms, inline edits, imports, restores, commands, the demo) updates the index
in ``after_flush``, on the flush's own connection: the entry commits or rolls
back with the record. ORM bulk statements are already refused by the history
recorder; ``load_dump`` (Core inserts) rebuilds the index once loaded.

On SQLite, triggers made by migration 0014 copy each ``search_entry`` change
into the FTS5 table in the same statement; on PostgreSQL the vector is a
generated column.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.orm import attributes

from app.models.search import SearchEntry
from app.search.registry import IndexSpec, indexed_models, spec_for

ENTRY = SearchEntry.__table__
#: Rows written per INSERT during a rebuild.
BATCH = 2000


def _changed(state, spec: IndexSpec) -> bool:
    obj = state.obj()
    for key in spec.columns:
        hist = attributes.get_history(obj, key, passive=attributes.NO_CHANGE)
        if hist.has_changes():
            return True
    return False


def _after_flush(session, flush_context) -> None:
    created, updated, deleted = [], [], []
    with session.no_autoflush:
        for state, (isdelete, _listonly) in list(flush_context.states.items()):
            spec = spec_for(state.class_)
            if spec is None:
                continue
            obj = state.obj()
            if obj is None or getattr(obj, "id", None) is None:
                continue
            if isdelete:
                deleted.append((spec.record_type, obj.id))
                continue
            if state.has_identity and not _changed(state, spec):
                continue
            title, body = spec.texts(obj)
            row = {
                "id": spec.entry_id(obj.id),
                "record_type": spec.record_type,
                "record_id": obj.id,
                "title": title,
                "body": body,
            }
            (updated if state.has_identity else created).append(row)
    if not (created or updated or deleted):
        return
    conn = session.connection()
    for record_type, record_id in deleted:
        conn.execute(
            ENTRY.delete().where(
                ENTRY.c.record_type == record_type, ENTRY.c.record_id == record_id
            )
        )
    for row in updated:
        done = conn.execute(
            ENTRY.update()
            .where(
                ENTRY.c.record_type == row["record_type"],
                ENTRY.c.record_id == row["record_id"],
            )
            .values(title=row["title"], body=row["body"])
        )
        if not done.rowcount:  # record older than its entry (index not built)
            created.append(row)
    if created:
        conn.execute(ENTRY.insert(), created)


def rebuild(session, log=None) -> int:
    """Empty the index and fill it from every searchable table; return the count.

    Reads only the columns the entries are made of (Core, not ORM objects), in
    the caller's transaction: commit afterwards.
    """
    conn = session.connection()
    conn.execute(ENTRY.delete())
    total = 0
    for spec in indexed_models():
        table = spec.model.__table__
        columns = [table.c.id, *[table.c[n] for n in spec.columns]]
        count = 0
        last = None
        while True:
            # Pages by key rather than a streamed cursor: the inserts run on
            # the same connection meanwhile.
            stmt = sa.select(*columns).order_by(table.c.id).limit(BATCH)
            if last is not None:
                stmt = stmt.where(table.c.id > last)
            part = conn.execute(stmt).all()
            if not part:
                break
            last = part[-1].id
            rows = []
            for row in part:
                title, body = spec.texts(row)
                rows.append(
                    {
                        "id": spec.entry_id(row.id),
                        "record_type": spec.record_type,
                        "record_id": row.id,
                        "title": title,
                        "body": body,
                    }
                )
            conn.execute(ENTRY.insert(), rows)
            count += len(rows)
        if log:
            log(spec, count)
        total += count
    if conn.dialect.name == "sqlite":
        # The triggers kept it in step; a rebuild also repairs an index that a
        # write outside the application (sqlite3 shell...) left behind.
        conn.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    return total


_installed = False


def install() -> None:
    """Attach the hook once per process (the session class is shared by apps)."""
    global _installed
    if _installed:
        return
    sa.event.listen(FlaskSession, "after_flush", _after_flush)
    _installed = True
