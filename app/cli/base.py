"""What every command shares: an app context with a database at the latest revision."""

from __future__ import annotations

import functools

import click
from flask import current_app
from flask.cli import with_appcontext

from app.db import auto_migrate, database_checked, upgrade_if_needed


def with_database(command):
    """Run ``command`` in an app context, the database migrated first if needed.

    The command-line app is built without touching the database (so that
    ``--help`` never creates or migrates it); commands that read or write data
    bring it up to date here, as the server does on start.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        app = current_app._get_current_object()
        if auto_migrate(app) and not database_checked(app):
            upgrade_if_needed(app)
        return command(*args, **kwargs)

    return with_appcontext(wrapper)


HELP_TEXT = "Afficher cette aide et quitter."


class FrenchHelpMixin:
    """Click's help in French: the usage line and the ``--help`` option's text."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(
            ctx.command_path, " ".join(pieces), prefix="Utilisation : "
        )


class FrenchCommand(FrenchHelpMixin, click.Command):
    """A command whose ``--help`` is French (every project command uses it)."""


class FrenchGroupMixin(FrenchHelpMixin):
    """A group that lists its commands under a French heading."""

    command_class = FrenchCommand

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("subcommand_metavar", "COMMANDE [ARGUMENTS]...")
        super().__init__(*args, **kwargs)

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commandes"):
                formatter.write_dl(
                    [(name, cmd.get_short_help_str(limit)) for name, cmd in rows]
                )


class FrenchGroup(FrenchGroupMixin, click.Group):
    """A plain command group with French help (``cdpl-gestion db``)."""
