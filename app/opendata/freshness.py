"""Build the open-data package when the published data changes, not on each
request.

A session hook notes that a transaction wrote a record the package is built
from (``FEEDS``); just before that transaction commits, it rewrites the single
row of ``opendata_state`` with a new random stamp, in the same transaction.
Each app process keeps the package it built last with the stamp it was built
for: a request reads the stamp (one primary-key read) and rebuilds only when it
differs. Several processes (waitress workers, a second server) therefore each
see a change committed by any of them at their next request; nothing to
invalidate by hand. A change made outside the application (SQL by hand) is
not seen: ``cdpl-gestion refresh-opendata`` renews the stamp.

The stamp is written as the last statement before COMMIT, so the row lock it
takes on PostgreSQL is held only for the commit itself and two writers cannot
deadlock on it.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from itertools import chain

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.dialects import sqlite

from app.db import BULK_WRITTEN
from app.extensions import db
from app.models import (
    Attendance,
    Decision,
    Document,
    DocumentVersion,
    Meeting,
    Organisation,
    WorkingGroup,
)
from app.models.base import utcnow
from app.models.opendata import OpendataState
from app.models.plans import Amendment, Indicator, Measurement, Plan, PlanAction
from app.opendata.package import Package, build_package

#: Every model whose rows the package reads (checked by tests/test_opendata_cache.py).
FEEDS: tuple[type, ...] = (
    Plan,
    PlanAction,
    Amendment,
    Indicator,
    Measurement,
    Meeting,
    Attendance,
    Decision,
    Document,
    DocumentVersion,
    Organisation,
    WorkingGroup,
)

#: Configuration written into the package: a change rebuilds it too.
CONFIG_KEYS = (
    "ORG_NAME",
    "ORG_SHORT_NAME",
    "PUBLIC_URL",
    "OPENDATA_LICENCE_NAME",
    "OPENDATA_LICENCE_TITLE",
    "OPENDATA_LICENCE_URL",
    "OPENDATA_SIRET",
    "OPENDATA_TERRITORY",
)

_TOUCHED = "opendata_touched"
_EXTENSION = "opendata_package"
_lock = threading.Lock()


def _before_flush(session, flush_context, instances) -> None:
    if session.info.get(_TOUCHED):
        return
    for obj in chain(session.new, session.deleted, session.dirty):
        if isinstance(obj, FEEDS) and (
            obj in session.new
            or obj in session.deleted
            or session.is_modified(obj, include_collections=False)
        ):
            session.info[_TOUCHED] = True
            return


def _before_commit(session) -> None:
    # The commit's own flush comes after this hook: flush now so that the
    # last changes are noted, then write the stamp last.
    session.flush()
    touched = session.info.pop(_TOUCHED, False)
    # Imports write in bulk, past the unit of work: they name their models.
    bulk = session.info.pop(BULK_WRITTEN, set())
    if touched or any(issubclass(model, FEEDS) for model in bulk):
        renew_stamp(session)


def _after_rollback(session) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(BULK_WRITTEN, None)


def renew_stamp(session=None) -> str:
    """Write a new stamp in the current transaction (committed with it)."""
    session = session or db.session
    stamp = secrets.token_hex(16)
    values = {"id": 1, "stamp": stamp, "changed_at": utcnow()}
    table = OpendataState.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Imported here: at the top it would load SQLAlchemy's PostgreSQL
        # dialect (~2.3 MB) in every process, SQLite ones included.
        from sqlalchemy.dialects import postgresql

        insert = postgresql.insert(table)
    else:
        insert = sqlite.insert(table)
    session.execute(
        insert.values(**values).on_conflict_do_update(
            index_elements=[table.c.id],
            set_={"stamp": stamp, "changed_at": values["changed_at"]},
        )
    )
    return stamp


def current_key() -> str | None:
    """The stamp of the data in the database, with the configuration used;
    None while no stamp was ever written (data loaded without the hooks)."""
    table = OpendataState.__table__
    stamp = db.session.execute(sa.select(table.c.stamp).where(table.c.id == 1)).scalar()
    if stamp is None:
        return None
    config = "\0".join(str(current_app.config.get(k, "")) for k in CONFIG_KEYS)
    return f"{stamp}:{hashlib.sha256(config.encode()).hexdigest()[:16]}"


def cached_package() -> Package:
    """The package for the data as it is now: the one built last by this
    process if the stamp has not changed since, else a new one."""
    key = current_key()
    if key is None:
        # Nothing says what the data are: never trust a kept copy.
        return build_package()
    held = current_app.extensions.get(_EXTENSION)
    if held is not None and held[0] == key:
        return held[1]
    with _lock:
        held = current_app.extensions.get(_EXTENSION)
        if held is not None and held[0] == key:
            return held[1]
        package = build_package()
        package.zip_bytes()  # built once, served many times
        current_app.extensions[_EXTENSION] = (key, package)
        return package


_installed = False


def install() -> None:
    """Attach the session hooks once per process (the session class is shared)."""
    global _installed
    if _installed:
        return
    sa.event.listen(FlaskSession, "before_flush", _before_flush)
    sa.event.listen(FlaskSession, "before_commit", _before_commit)
    sa.event.listen(FlaskSession, "after_rollback", _after_rollback)
    _installed = True
