"""``cdpl-gestion db``: the database's migrations, in French.

Developers who write migrations also have Flask-Migrate's full command set under
``flask --app wsgi db`` (see docs/extending.md).
"""

from __future__ import annotations

import click
import flask_migrate
from flask.cli import with_appcontext

from app.cli.base import FrenchCommand, FrenchGroup
from app.db import MIGRATIONS_DIR


@click.group("db", cls=FrenchGroup)
def db_group() -> None:
    """Migrations de la base de données (structure des tables)."""


@db_group.command("upgrade", cls=FrenchCommand)
@click.argument("revision", default="head")
@with_appcontext
def upgrade_command(revision: str) -> None:
    """Mettre la base à jour jusqu'à REVISION (par défaut la dernière)."""
    flask_migrate.upgrade(directory=MIGRATIONS_DIR, revision=revision)


@db_group.command("downgrade", cls=FrenchCommand)
@click.argument("revision", default="-1")
@with_appcontext
def downgrade_command(revision: str) -> None:
    """Revenir à REVISION (par défaut, la révision précédente)."""
    flask_migrate.downgrade(directory=MIGRATIONS_DIR, revision=revision)


@db_group.command("current", cls=FrenchCommand)
@with_appcontext
def current_command() -> None:
    """Afficher la révision où se trouve la base."""
    flask_migrate.current(directory=MIGRATIONS_DIR)


@db_group.command("history", cls=FrenchCommand)
@with_appcontext
def history_command() -> None:
    """Lister les migrations disponibles."""
    flask_migrate.history(directory=MIGRATIONS_DIR)


@db_group.command("migrate", cls=FrenchCommand)
@click.option("-m", "--message", required=True, help="Description de la migration.")
@click.option("--rev-id", required=True, help="Numéro de la migration (0009, 0010, …).")
@with_appcontext
def migrate_command(message: str, rev_id: str) -> None:
    """Écrire une migration d'après les modèles (à relire avant de l'appliquer)."""
    flask_migrate.migrate(directory=MIGRATIONS_DIR, message=message, rev_id=rev_id)
