"""``cdpl-gestion db`` (and ``flask --app wsgi db``): the database's migrations, in French.

Flask-Migrate (with Alembic) is loaded by the command that runs, through
``app.db.migrations``: the server never loads it when the schema is up to date.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.base import FrenchCommand, FrenchGroup
from app.db import MIGRATIONS_DIR, migrations


@click.group("db", cls=FrenchGroup)
def db_group() -> None:
    """Migrations de la base de données (structure des tables)."""


@db_group.command("upgrade", cls=FrenchCommand)
@click.argument("revision", default="head")
@with_appcontext
def upgrade_command(revision: str) -> None:
    """Mettre la base à jour jusqu'à REVISION (par défaut la dernière)."""
    migrations(current_app).upgrade(directory=MIGRATIONS_DIR, revision=revision)


@db_group.command("downgrade", cls=FrenchCommand)
@click.argument("revision", default="-1")
@with_appcontext
def downgrade_command(revision: str) -> None:
    """Revenir à REVISION (par défaut, la révision précédente)."""
    migrations(current_app).downgrade(directory=MIGRATIONS_DIR, revision=revision)


@db_group.command("current", cls=FrenchCommand)
@with_appcontext
def current_command() -> None:
    """Afficher la révision où se trouve la base."""
    migrations(current_app).current(directory=MIGRATIONS_DIR)


@db_group.command("history", cls=FrenchCommand)
@with_appcontext
def history_command() -> None:
    """Lister les migrations disponibles."""
    migrations(current_app).history(directory=MIGRATIONS_DIR)


@db_group.command("migrate", cls=FrenchCommand)
@click.option("-m", "--message", required=True, help="Description de la migration.")
@click.option("--rev-id", required=True, help="Numéro de la migration (0009, 0010, …).")
@with_appcontext
def migrate_command(message: str, rev_id: str) -> None:
    """Écrire une migration d'après les modèles (à relire avant de l'appliquer)."""
    migrations(current_app).migrate(
        directory=MIGRATIONS_DIR, message=message, rev_id=rev_id
    )
