"""Command-line interface: ``cdpl-gestion <command>`` or ``flask --app wsgi <command>``.

Command docstrings are the French help that ``--help`` prints.
"""

from __future__ import annotations

import signal
import sys

import click
import sqlalchemy as sa
import waitress
from flask import Flask, current_app

from app.auth import setup
from app.auth.passwords import password_problems
from app.cli.base import FrenchCommand, with_database
from app.cli.data import register_commands as register_data_commands
from app.cli.database import db_group
from app.cli.mail import register_commands as register_mail_commands
from app.cli.opendata import register_commands as register_opendata_commands
from app.cli.rgpd import register_commands as register_rgpd_commands
from app.demo import load_demo
from app.extensions import db
from app.models.accounts import User
from app.perf import ready_to_serve
from app.search import rebuild


@click.command("serve", cls=FrenchCommand)
@click.option(
    "--host", default="127.0.0.1", help="Adresse d'écoute (par défaut 127.0.0.1)."
)
@click.option("--port", default=5000, help="Port d'écoute (par défaut 5000).")
@click.option("--threads", default=8, help="Fils de traitement (par défaut 8).")
@with_database
def serve_command(host: str, port: int, threads: int) -> None:
    """Démarrer l'outil (serveur waitress) et afficher l'adresse à ouvrir.

    Tant qu'aucun compte n'existe, affiche aussi l'adresse de la page
    d'installation et le jeton à y saisir pour créer le premier administrateur.
    """
    app = current_app._get_current_object()
    base_url = f"http://{host}:{port}"
    setup.announce(app, base_url)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    click.echo(f"Base de données : {uri.split('@')[-1]}")
    # Listening before saying so: whoever waits for the address can open it.
    server = waitress.create_server(
        app, host=host, port=port, threads=threads, ident="cdpl-gestion"
    )
    click.echo(f"cdpl-gestion est prêt : {base_url}/")
    ready_to_serve()
    # Stopped by a service manager (SIGTERM) or Ctrl+C: a clean exit, status 0.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        server.run()
    finally:
        server.close()


def _stop(signum, frame) -> None:
    click.echo("cdpl-gestion arrêté.")
    sys.exit(0)


@click.command("demo", cls=FrenchCommand)
@with_database
def demo_command() -> None:
    """Charger les données de démonstration (réunion du 16 avril 2019).

    Sans effet sur des enregistrements déjà présents : la lancer deux fois ne
    change rien, et si le groupe « Innovation sociale numérique » a déjà une
    réunion le 16/04/2019 (chargée ou saisie à la main), rien n'est écrit. Chaque
    fiche est cherchée par sa clé naturelle (voir ``app.demo.load_demo``) et
    reprise telle quelle si elle existe.
    """
    created = load_demo()
    if created:
        click.echo(
            f"Données de démonstration chargées ({created} enregistrements créés)."
        )
    else:
        click.echo("Données de démonstration déjà présentes : rien à faire.")


@click.command("create-admin", cls=FrenchCommand)
@click.option("--email", prompt="Courriel", help="Adresse de connexion du compte.")
@click.option("--name", default="", help="Nom affiché (facultatif).")
@click.password_option(
    "--password",
    prompt="Mot de passe",
    confirmation_prompt="Confirmation",
    help="Demandé sans écho si absent (à éviter en ligne de commande).",
)
@with_database
def create_admin_command(email: str, name: str, password: str) -> None:
    """Créer un compte administrateur (par exemple le premier : il n'existe aucun
    compte par défaut)."""
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


@click.command("reindex", cls=FrenchCommand)
@with_database
def reindex_command() -> None:
    """Reconstruire l'index de recherche à partir des fiches.

    L'index se tient à jour seul à chaque enregistrement ; la commande sert
    après une écriture faite hors de l'outil (outil SQL, copie de table) ou
    quand un nouveau type de fiche devient cherchable.
    """

    def progress(spec, count):
        click.echo(f"  {spec.label} : {count}")

    click.echo("Reconstruction de l'index de recherche…")
    total = rebuild(db.session, log=progress)
    db.session.commit()
    click.echo(f"Index de recherche reconstruit : {total} fiches.")


def register_cli(app: Flask) -> None:
    """Attach the project's commands to ``app.cli`` (``flask --app wsgi`` too)."""
    for command in (serve_command, demo_command, create_admin_command, reindex_command):
        app.cli.add_command(command)
    register_data_commands(app)  # import-data, dump, load-dump, backup, restore
    register_mail_commands(app)  # send-mail
    register_opendata_commands(app)  # export-opendata, refresh-opendata
    register_rgpd_commands(app)  # rgpd export|anonymise, purge
    # The same French "db" group for ``flask --app wsgi db``; once a migration
    # command has loaded Flask-Migrate, its English group takes the name on app.cli.
    app.cli.add_command(db_group)
