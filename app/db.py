"""Database engine set-up: SQLite pragmas, transaction mode, migrations on start."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from app.extensions import db

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


@sa.event.listens_for(sa.engine.Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    """Open SQLite transactions with BEGIN IMMEDIATE.

    A deferred transaction that reads then writes can fail with "database is
    locked" when another writer got there first; taking the write lock at the
    start makes the busy_timeout wait apply instead.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def default_sqlite_uri(instance_path: str) -> str:
    """URI of the embedded database file in the instance folder."""
    path = Path(instance_path) / "cdpl.sqlite3"
    return f"sqlite:///{path}"


def is_sqlite(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def current_and_head(app: Flask) -> tuple[set[str], set[str]]:
    """Revisions the database is at, and the heads of the migration scripts."""
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    script = ScriptDirectory.from_config(cfg)
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current, set(script.get_heads())


def upgrade_if_needed(app: Flask) -> bool:
    """Bring the database to the latest revision; return True if it changed."""
    with app.app_context():
        current, heads = current_and_head(app)
        if current == heads:
            app.extensions[CHECKED] = True
            return False
        log.info("Migrating database from %s to %s", current or "empty", heads)
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)
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
