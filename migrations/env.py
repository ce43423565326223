"""Alembic environment for cdpl-gestion (driven by Flask-Migrate)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from app.models.search import include_name

config = context.config

# Keep the application's own loggers alive when migrations run inside the app.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


config.set_main_option(
    "sqlalchemy.url",
    get_engine().url.render_as_string(hide_password=False).replace("%", "%%"),
)
target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Render app-specific column types as plain SQLAlchemy types in scripts."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def get_metadata():
    return target_db.metadata


def run_migrations_offline():
    """Emit SQL to standard output instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=get_metadata(),
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations on the app's own engine (same pragmas and transaction mode)."""

    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_as_batch", True)
    conf_args.setdefault("compare_type", True)
    conf_args.setdefault("render_item", render_item)
    # The search index's full-text structures are not in the metadata.
    conf_args.setdefault("include_name", include_name)

    with get_engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode recreates tables; with foreign keys on, dropping the old
            # table would cascade or fail. Must be set outside any transaction.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection, target_metadata=get_metadata(), **conf_args
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # Several workers may start at once: one migrates, others wait.
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(715517)")
                context.run_migrations()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute(
                    "PRAGMA foreign_keys=ON"
                )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
