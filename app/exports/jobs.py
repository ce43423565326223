"""The long jobs of imports and dumps, run by ``app.jobs`` outside the request.

- ``import-analyse``: read the uploaded file (bounded readers), map its columns
  and analyse every row in a read-only session; the review page shows the
  summary kept in the pending import (``pending.save_preview``).
- ``import-confirm``: analyse again and write every row in one transaction
  (``run_import``): an interrupted confirm writes nothing.
- ``dump``: the full ZIP, written to instance/jobs/ and downloaded from there.

Imports (analysis and confirm) share one lane: one at a time across processes.
"""

from __future__ import annotations

import logging
import os
import secrets

from flask import current_app

from app.db import read_session
from app.exports import pending
from app.exports.audit import record
from app.exports.dump import dump_tables, write_dump
from app.exports.import_kinds import KINDS, get_kind
from app.exports.importing import run_import
from app.exports.preview import Preview
from app.exports.readers import ImportFileError, ReadLimits, read_table
from app.extensions import db
from app.jobs import (
    JobContext,
    JobFailed,
    jobs_dir,
    purge_files,
    register,
    register_lane,
)
from app.models.audit import TransferOperation

log = logging.getLogger(__name__)

ANALYSE = "import-analyse"
CONFIRM = "import-confirm"
DUMP = "dump"
GONE = "Cet import n'existe plus : envoyez le fichier à nouveau."
REFUSED = (
    "L'import n'a pas été fait : corrigez les erreurs signalées ; "
    "rien n'a été enregistré."
)
DUMP_FAILED = (
    "La sauvegarde n'a pas pu être produite à cause d'une erreur interne ; elle a "
    "été consignée. Aucun fichier n'a été produit."
)

register_lane(
    "import",
    "Un autre import est en cours (lancé par {who} à {at}) ; le vôtre attend son tour.",
)
register_lane(
    "dump",
    "Une autre sauvegarde complète est en cours (lancée par {who} à {at}) ; "
    "la vôtre attend son tour.",
)


def _load(ctx: JobContext):
    """The pending import's file, description and table (read once, then kept)."""
    token = ctx.payload["token"]
    stored = pending.load(token)
    if stored is None or stored[1].get("kind") not in KINDS:
        raise JobFailed(GONE)
    data, meta = stored
    table = pending.load_table(token)
    if table is None:
        ctx.start_phase("Lecture du fichier…", None)
        try:
            table = read_table(
                data, meta["filename"], ReadLimits.from_config(current_app.config)
            )
        except ImportFileError as exc:
            pending.delete(token)
            raise JobFailed(str(exc)) from None
        pending.save_table(token, table)
    importer = get_kind(meta["kind"])
    if meta.get("mapping") is None:
        meta["mapping"] = {
            str(i): k for i, k in importer.auto_mapping(table.headers).items()
        }
        pending.write_meta(token, meta)
    mapping = {int(i): k for i, k in meta["mapping"].items()}
    params = {"meeting_id": meta.get("meeting_id"), "plan_id": meta.get("plan_id")}
    return token, meta, importer, table, mapping, params


@register(ANALYSE, "import", "lignes", "Analyse d'un import")
def analyse_import(ctx: JobContext) -> str:
    """Read and analyse a pending import; keep the summary; return its token."""
    token, meta, importer, table, mapping, params = _load(ctx)
    ctx.start_phase("Analyse des lignes…", len(table.rows))
    with read_session() as reader:  # never SQLite's write lock
        analysis = importer.analyse(reader, table, mapping, params, ctx.advance)
    pending.save_preview(token, Preview.of(analysis, mapping))
    ctx.say("Analyse terminée.")
    return token


@register(CONFIRM, "import", "lignes", "Confirmation d'un import")
def confirm_import(ctx: JobContext) -> str:
    """Analyse again and write the whole import in one transaction; return its kind."""
    token, meta, importer, table, mapping, params = _load(ctx)
    rows = len(table.rows)
    ctx.start_phase("Nouvelle analyse des lignes…", rows)
    analysed = 0

    def progress(count: int) -> None:
        # run_import counts the analysed rows, then the written ones.
        nonlocal analysed
        ctx.advance(count)
        if analysed < rows:
            analysed += count
            if analysed >= rows:
                ctx.start_phase("Enregistrement dans la base…", rows)

    analysis, counts = run_import(
        db.session, importer, table, mapping, params, progress, actor=ctx.actor
    )
    if counts is None:
        record(
            TransferOperation.import_,
            meta["kind"],
            0,
            file_format=table.file_format,
            details=f"{meta['filename']} — refusé, {len(analysis.errors)} erreur(s)",
            success=False,
            actor=ctx.actor.label,
        )
        pending.save_preview(token, Preview.of(analysis, mapping))
        raise JobFailed(REFUSED)
    created, updated = counts
    record(
        TransferOperation.import_,
        meta["kind"],
        created + updated,
        file_format=table.file_format,
        details=f"{meta['filename']} — {created} création(s), {updated} mise(s) à jour",
        actor=ctx.actor.label,
    )
    pending.delete(token)
    ctx.say(f"Import terminé : {created} création(s), {updated} mise(s) à jour.")
    return meta["kind"]


@register(DUMP, "dump", "tables", "Sauvegarde complète")
def dump_database(ctx: JobContext) -> str:
    """Write the full ZIP in instance/jobs/; return the file's name."""
    purge_files()
    ctx.start_phase("Écriture de l'archive…", len(dump_tables()))
    target = jobs_dir() / f"sauvegarde-{ctx.job_id}-{secrets.token_hex(8)}.zip"
    partial = target.with_suffix(".partial")
    try:
        # The archive holds personal data: readable by the service account only.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh, read_session() as reader:
            rows = write_dump(fh, reader, ctx.advance)
        os.replace(partial, target)
    except Exception:
        partial.unlink(missing_ok=True)
        log.exception("Full dump failed")
        record(
            TransferOperation.dump,
            "database",
            0,
            file_format="zip",
            success=False,
            actor=ctx.actor.label,
        )
        raise JobFailed(DUMP_FAILED) from None
    record(
        TransferOperation.dump,
        "database",
        rows,
        file_format="zip",
        actor=ctx.actor.label,
    )
    ctx.say(f"Sauvegarde prête : {rows} ligne(s).")
    return target.name
