"""Command-line data transfers: imports, full dumps, backups and restores."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.cli.base import FrenchCommand, with_database
from app.exports.audit import record
from app.exports.backup import (
    BackupError,
    list_backups,
    make_backup,
    restore_backup,
    sqlite_path,
)
from app.exports.dump import DumpError, load_dump, write_dump
from app.exports.import_kinds import KINDS, get_kind
from app.exports.importing import run_import
from app.exports.readers import ImportFileError, ReadLimits, read_table
from app.extensions import db
from app.models.audit import TransferOperation

MAX_ERRORS_SHOWN = 50


def backup_dir() -> Path:
    configured = current_app.config.get("BACKUP_DIR")
    return (
        Path(configured) if configured else Path(current_app.instance_path) / "backups"
    )


@click.command("import-data", cls=FrenchCommand)
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--meeting", "meeting_id", type=int, help="Réunion (n°) des présences importées."
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="COLONNE=CHAMP",
    help="Associer une colonne du fichier à un champ (répétable).",
)
@click.option("--dry-run", is_flag=True, help="Vérifier sans rien enregistrer.")
@with_database
def import_data_command(kind, file, meeting_id, mappings, dry_run) -> None:
    """Importer un fichier CSV, XLSX ou ODS (toutes les lignes ou aucune).

    KIND est le type de fiches importées ; FILE est le fichier.
    """
    importer = get_kind(kind)
    try:
        limits = ReadLimits.from_config(current_app.config)
        table = read_table(file.read_bytes(), file.name, limits)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc
    mapping = importer.auto_mapping(table.headers)
    for item in mappings:
        column, _, key = item.partition("=")
        if column not in table.headers or key not in {f.key for f in importer.fields}:
            raise click.ClickException(f"Association invalide : {item}")
        mapping = {i: k for i, k in mapping.items() if k != key}
        mapping[table.headers.index(column)] = key
    for index, key in sorted(mapping.items()):
        click.echo(f"  {table.headers[index]!r} -> {importer.field(key).label}")
    params = {"meeting_id": meeting_id}
    steps = len(table.rows) * (1 if dry_run else 2)
    with click.progressbar(
        length=max(steps, 1), label="Import", file=sys.stderr
    ) as bar:
        if dry_run:
            analysis = importer.analyse(db.session, table, mapping, params, bar.update)
            counts = None
            db.session.rollback()
        else:
            analysis, counts = run_import(
                db.session, importer, table, mapping, params, bar.update
            )
    errors = analysis.errors
    if errors:
        for message in errors[:MAX_ERRORS_SHOWN]:
            click.echo(message, err=True)
        if len(errors) > MAX_ERRORS_SHOWN:
            click.echo(
                f"… et {len(errors) - MAX_ERRORS_SHOWN} autres erreurs.", err=True
            )
        record(
            TransferOperation.import_,
            kind,
            0,
            file_format=table.file_format,
            details=f"{file.name} — {len(errors)} erreur(s), rien n'a été enregistré",
            success=False,
        )
        raise click.ClickException(
            f"{len(errors)} erreur(s) : rien n'a été enregistré."
        )
    if dry_run:
        click.echo(
            f"Vérification réussie : {analysis.creations} création(s), "
            f"{analysis.updates} mise(s) à jour (rien n'a été enregistré)."
        )
        return
    created, updated = counts
    record(
        TransferOperation.import_,
        kind,
        created + updated,
        file_format=table.file_format,
        details=f"{file.name} — {created} création(s), {updated} mise(s) à jour",
    )
    click.echo(f"Import terminé : {created} création(s), {updated} mise(s) à jour.")


@click.command("dump", cls=FrenchCommand)
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_database
def dump_command(file: Path) -> None:
    """Écrire toute la base dans un ZIP : un CSV par table et datapackage.json."""
    partial = file.with_name(file.name + ".partial")
    with partial.open("wb") as fh:
        rows = write_dump(fh)
    db.session.rollback()
    partial.replace(file)
    record(
        TransferOperation.dump, "database", rows, file_format="zip", details=file.name
    )
    click.echo(f"Sauvegarde complète écrite : {file} ({rows} lignes).")


@click.command("load-dump", cls=FrenchCommand)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_database
def load_dump_command(file: Path) -> None:
    """Recharger un ZIP écrit par « dump » dans une base vide (tout ou rien)."""
    try:
        with file.open("rb") as fh:
            rows = load_dump(fh)
    except DumpError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    # Not written to data_transfer: the loaded database must stay an exact copy.
    logging.getLogger(__name__).info("Loaded dump %s (%d rows)", file, rows)
    click.echo(f"Sauvegarde chargée : {rows} lignes.")


@click.command("backup", cls=FrenchCommand)
@click.option("--keep", type=int, default=None, help="Nombre de copies conservées.")
@click.option("--list", "list_only", is_flag=True, help="Lister les copies existantes.")
@with_database
def backup_command(keep: int | None, list_only: bool) -> None:
    """Copier la base SQLite à chaud et vérifier la copie (integrity_check)."""
    target = backup_dir()
    if list_only:
        for path in list_backups(target):
            click.echo(str(path))
        return
    keep = keep or int(current_app.config.get("BACKUP_KEEP", 7))
    try:
        path = make_backup(
            sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"]), target, keep
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    record(
        TransferOperation.backup, "database", 0, file_format="sqlite", details=path.name
    )
    click.echo(f"Copie vérifiée (integrity_check) : {path}")


@click.command("restore", cls=FrenchCommand)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Remplacer la base SQLite par une copie (arrêtez l'outil avant)."""
    if not yes:
        click.confirm(
            "Le contenu actuel de la base sera remplacé. Continuer ?", abort=True
        )
    db.session.remove()
    db.engine.dispose()
    try:
        restore_backup(file, sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"]))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    record(
        TransferOperation.restore,
        "database",
        0,
        file_format="sqlite",
        details=file.name,
    )
    click.echo(f"Base restaurée depuis {file}.")


COMMANDS = (
    import_data_command,
    dump_command,
    load_dump_command,
    backup_command,
    restore_command,
)


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
