"""The ``cdpl-gestion`` console script (``[project.scripts]`` in pyproject.toml)."""

from __future__ import annotations

from flask.cli import FlaskGroup

from app import create_app
from app.cli.base import FrenchGroupMixin
from app.cli.database import db_group


def _create_app():
    # Commands migrate the database themselves (app.cli.base.with_database), so
    # that listing them or asking for --help leaves the database untouched.
    return create_app(migrate_database=False)


class MainGroup(FrenchGroupMixin, FlaskGroup):
    """Flask's command group without its developer options (--app, --env-file,
    --debug) and commands (run, shell, routes): the tool has one app and
    ``serve`` starts it."""

    def __init__(self, **kwargs):
        super().__init__(
            create_app=_create_app,
            add_default_commands=False,
            add_version_option=False,
            load_dotenv=False,
            **kwargs,
        )
        self.params = [
            p for p in self.params if p.name not in {"env_file", "app", "debug"}
        ]


main = MainGroup(
    name="cdpl-gestion",
    help=(
        "cdpl-gestion : membres, groupes de travail, réunions, comptes rendus et "
        "plans suivis d'un conseil de développement.\n\n"
        "Chaque commande a son aide : cdpl-gestion COMMANDE --help."
    ),
)
# Found before the app's own commands: ``cdpl-gestion db --help`` needs no app.
main.add_command(db_group)
