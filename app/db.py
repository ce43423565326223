"""Database engine set-up: SQLite pragmas, transaction mode, migrations on start."""

from __future__ import annotations

import ast
import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, has_request_context, request
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.base import use_dialect

log = logging.getLogger(__name__)

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")
#: Key in ``app.extensions`` set once the database is known to be at the head.
CHECKED = "cdpl_database_at_head"
#: How long an SQLite writer waits for the lock before "database is locked".
BUSY_TIMEOUT_MS = 15000


def _is_sqlite(dbapi_connection) -> bool:
    return isinstance(dbapi_connection, sqlite3.Connection)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    """Configure every SQLite connection for safe concurrent use."""
    if not _is_sqlite(dbapi_connection):
        return
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_on_begin) instead of pysqlite.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
    finally:
        cur.close()


#: Key of ``Session.info``: models whose rows were written with Core statements
#: in the current transaction (bulk imports), which the session hooks that watch
#: the unit of work (open-data freshness) cannot see.
BULK_WRITTEN = "cdpl_bulk_written"


def note_bulk_write(session, model: type) -> None:
    """Record that ``model``'s rows changed outside the unit of work."""
    session.info.setdefault(BULK_WRITTEN, set()).add(model)


#: Request methods that only read: on SQLite their transactions start deferred.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Execution option forcing the transaction mode of a connection (True: write).
WRITE_OPTION = "cdpl_write"
#: Key of ``Connection.info``: did this connection's last BEGIN take the write lock?
_WRITE_LOCK = "cdpl_write_lock"


def request_only_reads() -> bool:
    """True inside a GET/HEAD/OPTIONS request: its transaction starts deferred.

    Outside a request (command line, tests, bench) every transaction writes.
    """
    return has_request_context() and request.method in READ_METHODS


@sa.event.listens_for(sa.engine.Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    """Open SQLite transactions: plain BEGIN to read, BEGIN IMMEDIATE to write.

    A read request's transaction is deferred: it reads a WAL snapshot and never
    takes the write lock, so readers neither queue behind each other nor behind
    a writer. Every other transaction (POST requests, commands) takes the write
    lock at BEGIN: a deferred transaction that reads then writes fails with
    "database is locked" (busy snapshot) when another writer got there first,
    while BEGIN IMMEDIATE waits busy_timeout for its turn. A read request never
    upgrades its transaction: its few writes go through :func:`short_write`.
    """
    if conn.dialect.name != "sqlite":
        return
    write = conn.get_execution_options().get(WRITE_OPTION)
    if write is None:
        write = not request_only_reads()
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
    conn.info[_WRITE_LOCK] = write


def _in_read_transaction() -> bool:
    session = db.session()
    return (
        db.engine.dialect.name == "sqlite"
        and session.in_transaction()
        and not session.connection().info.get(_WRITE_LOCK)
    )


def end_read_transaction(exc: BaseException | None = None) -> None:
    """End a read request's deferred transaction with the request.

    Its snapshot must not outlive the request: a later request served in the
    same application context (the test client's) would read stale rows, and
    an open snapshot holds back the WAL checkpoint. A transaction that holds
    the write lock is left to its owner.
    """
    if not _in_read_transaction():
        return
    if exc is None:
        db.session.commit()
    else:
        db.session.rollback()


def init_dialect(app: Flask) -> None:
    """Give the models what only their database's dialect reads (partial
    indexes' conditions on PostgreSQL, ``app.models.base.partial_index``)."""
    with app.app_context():
        for engine in db.engines.values():
            use_dialect(db.metadata, engine.dialect.name)


def init_transactions(app: Flask) -> None:
    """Register the end of read transactions (see :func:`end_read_transaction`)."""
    app.teardown_request(end_read_transaction)


def session_may_write() -> bool:
    """Whether ``db.session``'s transaction may write without upgrading a read.

    Always on PostgreSQL; on SQLite when the transaction holds the write lock,
    or, if none is open yet, when the next one will take it (not a read request).
    """
    if db.engine.dialect.name != "sqlite":
        return True
    session = db.session()
    if session.in_transaction():
        return bool(session.connection().info.get(_WRITE_LOCK))
    return not request_only_reads()


@contextmanager
def short_write() -> Iterator[Session]:
    """A session for the few rows a request writes on the side, committed at exit.

    Session touch, security events and export records: in a read request on
    SQLite they go in a short write transaction of their own, on a second
    connection (BEGIN IMMEDIATE, so they wait their turn like any writer),
    never by upgrading the request's read transaction. Elsewhere they join
    ``db.session``, which is committed at the end of the block as before.
    """
    if session_may_write():
        yield db.session
        db.session.commit()
        return
    engine = db.engine.execution_options(**{WRITE_OPTION: True})
    with Session(engine) as own, own.begin():
        yield own


@contextmanager
def read_session() -> Iterator[Session]:
    """A session that only reads: on SQLite its transactions start deferred.

    For long reads outside a GET request (the analysis of an import, a full
    dump): they read a snapshot and never take the write lock, so everybody
    else's saves go on meanwhile. Rolled back at exit.
    """
    engine = db.engine.execution_options(**{WRITE_OPTION: False})
    with Session(engine) as own:
        try:
            yield own
        finally:
            own.rollback()


def default_sqlite_uri(instance_path: str) -> str:
    """URI of the embedded database file in the instance folder."""
    path = Path(instance_path) / "cdpl.sqlite3"
    return f"sqlite:///{path}"


def is_sqlite(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


#: Options of Flask-Migrate for this project: autogenerate compares column
#: types; SQLite alters tables in batch mode (copy and rename).
MIGRATE_OPTIONS = {"compare_type": True, "render_as_batch": True}
#: ``revision = "0018"`` / ``down_revision = '0017'`` (or None, or a tuple for
#: a merge) at the top of a migration script.
_REVISION_LINE = re.compile(
    r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE
)


def migrations(app: Flask):
    """Flask-Migrate bound to ``app`` on first use; returns the module
    (``upgrade``, ``downgrade``, ``current``, ``history``, ``migrate``).

    Not loaded by ``create_app``: Flask-Migrate brings Alembic, Mako and
    Pygments, about 11 MB of every server process, while only a database whose
    schema is behind, the ``db`` commands and the tests need them.
    """
    # Imported here, not at the top: the heavy libraries above, loaded only to migrate.
    import flask_migrate

    if "migrate" not in app.extensions:
        flask_migrate.Migrate(app, db, directory=MIGRATIONS_DIR, **MIGRATE_OPTIONS)
    return flask_migrate


def migration_heads(directory: str = MIGRATIONS_DIR) -> set[str]:
    """Head revisions of the migration scripts, read from their text.

    A head is a revision that no other script names as its ``down_revision``:
    Alembic's own rule (``ScriptDirectory.get_heads``), without loading
    Alembic. A script whose two lines are not plain literals is left to Alembic.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(Path(directory, "versions").glob("*.py")):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return _alembic_heads(directory)
        if not isinstance(revision, str):
            return _alembic_heads(directory)
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(down)
        elif down is not None:
            return _alembic_heads(directory)
    return revisions - parents


def _alembic_heads(directory: str) -> set[str]:
    # Imported here: Alembic is only needed when a script is too unusual to read.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", directory)
    return set(ScriptDirectory.from_config(cfg).get_heads())


def database_revisions(conn: sa.Connection) -> set[str]:
    """Revisions recorded in the database's ``alembic_version`` table (none if absent)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return set()
    rows = conn.execute(sa.text("SELECT version_num FROM alembic_version"))
    return {row[0] for row in rows}


def current_and_head(app: Flask) -> tuple[set[str], set[str]]:
    """Revisions the database is at, and the heads of the migration scripts."""
    with db.engine.connect() as conn:
        current = database_revisions(conn)
    return current, migration_heads()


def upgrade_if_needed(app: Flask) -> bool:
    """Bring the database to the latest revision; return True if it changed.

    Up to date (the usual start), this reads one table and the scripts' text:
    Flask-Migrate and Alembic are loaded only when there is a migration to run.
    """
    with app.app_context():
        current, heads = current_and_head(app)
        if current == heads:
            app.extensions[CHECKED] = True
            return False
        log.info("Migrating database from %s to %s", current or "empty", heads)
        migrations(app).upgrade(directory=MIGRATIONS_DIR)
        app.extensions[CHECKED] = True
        return True


def database_checked(app: Flask) -> bool:
    """Whether this app already brought its database to the latest revision."""
    return bool(app.extensions.get(CHECKED))


def auto_migrate(app: Flask) -> bool:
    """Whether this app brings its database to the latest revision by itself."""
    return bool(app.config.get("AUTO_MIGRATE")) and not os.environ.get(
        "CDPL_SKIP_MIGRATE"
    )
