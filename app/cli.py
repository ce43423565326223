"""Command-line interface: ``cdpl-gestion <command>`` or ``flask --app wsgi <command>``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from app.exports.cli import register_commands as register_export_commands


def _create_app():
    from app import create_app

    return create_app()


@click.command("serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute."
)
@click.option("--port", default=5000, show_default=True, help="Port d'écoute.")
@click.option("--threads", default=8, show_default=True, help="Fils de traitement.")
@with_appcontext
def serve_command(host: str, port: int, threads: int) -> None:
    """Start the application under the waitress WSGI server."""
    import waitress

    from app.auth.setup import announce

    app = current_app._get_current_object()
    announce(app)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    click.echo(f"Base de données : {uri.split('@')[-1]}")
    click.echo(f"cdpl-gestion est prêt : http://{host}:{port}/")
    waitress.serve(app, host=host, port=port, threads=threads, ident="cdpl-gestion")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the meeting of 16 April 2019 (demo data); running it twice changes nothing."""
    from app.demo import load_demo

    created = load_demo()
    if created:
        click.echo(
            f"Données de démonstration chargées ({created} enregistrements créés)."
        )
    else:
        click.echo("Données de démonstration déjà présentes : rien à faire.")


@click.command("create-admin")
@click.option("--email", prompt="Courriel", help="Adresse de connexion du compte.")
@click.option("--name", default="", help="Nom affiché (facultatif).")
@click.password_option(
    "--password",
    prompt="Mot de passe",
    confirmation_prompt="Confirmation",
    help="Demandé sans écho si absent (à éviter en ligne de commande).",
)
@with_appcontext
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an administrator account (e.g. the first one: there is no default account)."""
    import sqlalchemy as sa

    from app.auth import setup
    from app.auth.passwords import password_problems
    from app.extensions import db
    from app.models.accounts import User

    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise click.UsageError("Adresse courriel invalide.")
    if db.session.execute(sa.select(User.id).where(User.email == email)).first():
        raise click.UsageError(f"Un compte {email} existe déjà.")
    problems = password_problems(password, email, name)
    if problems:
        raise click.UsageError(" ".join(problems))
    setup.create_administrator(
        email, name, password, "administrateur créé en ligne de commande"
    )
    click.echo(f"Compte administrateur {email} créé.")


def register_cli(app: Flask) -> None:
    """Attach the project's commands to ``app.cli``."""
    for command in (serve_command, demo_command, create_admin_command):
        app.cli.add_command(command)
    register_export_commands(app)  # import-data, dump, load-dump, backup, restore


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """cdpl-gestion: manage members, groups, meetings, minutes and plans."""
