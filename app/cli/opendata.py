"""``cdpl-gestion export-opendata``: write the open-data package to a folder;
``refresh-opendata``: have every app process rebuild the package it serves."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from app.cli.base import FrenchCommand, with_database
from app.extensions import db
from app.opendata.catalogue import catalogue_gaps
from app.opendata.freshness import renew_stamp
from app.opendata.package import build_package


@click.command("export-opendata", cls=FrenchCommand)
@click.argument(
    "folder", type=click.Path(file_okay=False, writable=True, path_type=Path)
)
@with_database
def export_opendata_command(folder: Path) -> None:
    """Écrire les données publiques (CSV, JSON, datapackage.json, README,
    catalogue SCDL et ZIP) dans FOLDER, par exemple pour les déposer sur un
    portail de données ouvertes. Seuls les enregistrements marqués « Public »
    y figurent, sans aucune donnée personnelle ; les fichiers déjà présents
    du même nom sont remplacés."""
    package = build_package()
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in package.files.items():
        (folder / name).write_bytes(body)
    (folder / "donnees-publiques.zip").write_bytes(package.zip_bytes())
    rows = sum(package.row_counts.values())
    click.echo(
        f"{len(package.files) + 1} fichier(s) écrit(s) dans {folder} "
        f"({rows} ligne(s) publiée(s))."
    )
    for gap in catalogue_gaps():
        click.echo(f"Attention, catalogue SCDL incomplet : {gap}", err=True)


@click.command("refresh-opendata", cls=FrenchCommand)
@with_database
def refresh_opendata_command() -> None:
    """Faire regénérer le paquet de données ouvertes servi sous
    /public/donnees/ : chaque instance de l'application le reconstruit à sa
    prochaine demande. Inutile après une modification faite dans
    l'application (elle le fait d'elle-même) ; utile après une modification
    faite directement dans la base."""
    renew_stamp()
    db.session.commit()
    click.echo(
        "Paquet de données ouvertes à regénérer : reconstruit à la prochaine demande."
    )


def register_commands(app: Flask) -> None:
    app.cli.add_command(export_opendata_command)
    app.cli.add_command(refresh_opendata_command)
