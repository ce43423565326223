"""``cdpl-gestion rgpd export|anonymise MEMBRE`` and ``cdpl-gestion purge``."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from app.cli.base import FrenchCommand, FrenchGroup, with_database
from app.extensions import db
from app.history import acting_as
from app.models import Member
from app.rgpd.anonymise import AnonymisationRefused, anonymise_member, preview
from app.rgpd.export import export_filename, write_member_export
from app.rgpd.retention import due, purge

#: Actor label of the daily purge's changes.
PURGE_ACTOR = "purge"


def _find_member(ref: str) -> Member:
    """A member by number or e-mail; a French usage error otherwise."""
    ref = ref.strip()
    if ref.isdigit():
        member = db.session.get(Member, int(ref))
    else:
        member = db.session.execute(
            sa.select(Member).where(Member.email == ref.lower())
        ).scalar_one_or_none()
    if member is None:
        raise click.UsageError(f"Aucun membre « {ref} » (numéro ou courriel).")
    return member


@click.group("rgpd", cls=FrenchGroup)
def rgpd_group() -> None:
    """Données personnelles : export d'un membre, anonymisation."""


@rgpd_group.command("export", cls=FrenchCommand)
@click.argument("member", metavar="MEMBRE")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier ZIP à écrire (par défaut donnees-personnelles-membre-N.zip).",
)
@with_database
def export_command(member: str, output: Path | None) -> None:
    """Écrire le ZIP de tout ce que l'outil détient sur un membre (numéro ou
    courriel) : droit d'accès et de portabilité. L'export est journalisé."""
    found = _find_member(member)
    path = output or Path(export_filename(found.id))
    with path.open("wb") as fh:
        rows = write_member_export(fh, found.id)
    click.echo(f"{path} écrit ({rows} ligne(s)).")


@rgpd_group.command("anonymise", cls=FrenchCommand)
@click.argument("member", metavar="MEMBRE")
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@with_database
def anonymise_command(member: str, yes: bool) -> None:
    """Anonymiser un membre (numéro ou courriel), définitivement : droit à
    l'effacement. Affiche d'abord ce qui va changer."""
    found = _find_member(member)
    try:
        for line in preview(found).lines:
            click.echo(f"- {line}")
        if not yes:
            click.confirm("Anonymiser ce membre ?", abort=True)
        anonymise_member(found.id)
    except AnonymisationRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Membre n° {found.id} anonymisé.")


@click.command("purge", cls=FrenchCommand)
@click.option(
    "--dry-run", is_flag=True, help="Afficher ce qui serait purgé, sans rien changer."
)
@with_database
def purge_command(dry_run: bool) -> None:
    """Appliquer les durées de conservation (pour un minuteur quotidien) :
    anonymiser les anciens membres, supprimer le journal de sécurité ancien et
    les sessions terminées, effacer les textes de courriel anciens. Chaque
    purge est inscrite à l'historique."""
    if dry_run:
        for line in due().lines():
            click.echo(line)
        click.echo("Simulation : rien n'a été modifié.")
        return
    with acting_as(PURGE_ACTOR):
        report = purge()
    click.echo(report.summary() + ".")
    for line in report.refused:
        click.echo(f"  non anonymisé : {line}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(rgpd_group)
    app.cli.add_command(purge_command)
