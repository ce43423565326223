"""Admin pages moving data in and out: "Importer" and "Sauvegarde complète"."""

from __future__ import annotations

import logging
import tempfile
import time

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from werkzeug.exceptions import RequestEntityTooLarge

from app.auth.access import MAX_ID, AccessMixin
from app.db import read_session
from app.exports import pending
from app.exports.audit import record
from app.exports.dump import write_dump
from app.exports.import_kinds import KINDS, get_kind
from app.exports.importing import preview_rows, run_import
from app.exports.readers import ImportFileError, ReadLimits, read_table
from app.extensions import db
from app.models import DataTransfer, Meeting, Plan
from app.models.accounts import Role
from app.models.audit import TransferOperation
from app.timezone import PARIS

log = logging.getLogger(__name__)

#: Rows shown in the preview (errors first); the import itself takes them all.
PREVIEW_ROWS = 500
#: Where to go after an import, per kind: the list of the imported records.
LIST_ENDPOINTS = {
    "membres": "member.index_view",
    "structures": "organisation.index_view",
    "presences": "attendance.index_view",
    "actions-plan": "plan_action.index_view",
    "mesures": "measurement.index_view",
}


def _plan_id(raw) -> int | None:
    """The plan chosen for a plan-action import (None when absent or malformed)."""
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if 0 < value < 2**31 else None


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size // 1024} Ko"
    return f"{size / (1024 * 1024):.1f} Mo".replace(".0 ", " ").replace(".", ",")


def _limits() -> ReadLimits:
    return ReadLimits.from_config(current_app.config)


def _meeting_id(raw: str | None) -> int | None:
    """The id of an existing meeting, or None (``abc``, 10^20, a deleted one)."""
    try:
        value = int(raw or "")
    except ValueError:
        return None
    if not 0 < value <= MAX_ID or db.session.get(Meeting, value) is None:
        return None
    return value


class ImportView(AccessMixin, BaseView):
    """Upload, map the columns, preview and confirm an import."""

    read_role = Role.editor
    write_role = Role.editor
    export_role = Role.editor

    def _meetings(self):
        return (
            db.session.execute(
                sa.select(Meeting).order_by(Meeting.starts_at.desc()).limit(200)
            )
            .scalars()
            .all()
        )

    @expose("/", methods=["GET", "POST"])
    def index(self):
        limit = int(current_app.config.get("IMPORT_MAX_BYTES", 10 * 1024 * 1024))
        errors: list[str] = []
        kind = request.form.get("kind") or request.args.get("kind") or "membres"
        meeting_id = _meeting_id(
            request.form.get("meeting_id") or request.args.get("meeting_id")
        )
        plan_id = _plan_id(request.form.get("plan_id") or request.args.get("plan_id"))
        if request.method == "POST":
            try:
                upload = request.files.get("file")
            except RequestEntityTooLarge:
                upload = None
                errors.append(
                    f"Le fichier dépasse la taille maximale acceptée ({_megabytes(limit)})."
                )
            if kind not in KINDS:
                errors.append("Choisissez ce que vous importez.")
            elif KINDS[kind].needs_meeting and not meeting_id:
                errors.append("Choisissez la réunion dont vous importez les présences.")
            if not errors and (upload is None or not upload.filename):
                errors.append("Choisissez un fichier CSV, XLSX ou ODS.")
            data = b""
            if not errors:
                data = upload.stream.read(limit + 1)
            for stored in request.files.values() if upload is not None else ():
                stored.close()  # large uploads are spooled to a temporary file
                if len(data) > limit:
                    errors.append(
                        "Le fichier dépasse la taille maximale acceptée "
                        f"({_megabytes(limit)}) : découpez-le ou utilisez la "
                        "commande « import-data »."
                    )
            if not errors:
                # The reading of a large file must not hold the POST's write lock.
                db.session.commit()
                try:
                    table = read_table(data, upload.filename, _limits())
                except ImportFileError as exc:
                    errors.append(str(exc))
            if not errors:
                meta = {
                    "kind": kind,
                    "filename": upload.filename,
                    "meeting_id": meeting_id,
                    "plan_id": plan_id,
                    "mapping": {
                        str(i): k
                        for i, k in get_kind(kind).auto_mapping(table.headers).items()
                    },
                }
                token = pending.save(data, meta)
                pending.save_table(token, table)
                return redirect(url_for(".review", token=token))
        return self.render(
            "admin/imports/upload.html",
            kinds=KINDS,
            kind=kind,
            meeting_id=str(meeting_id or ""),
            meetings=self._meetings(),
            plan_id=str(plan_id or ""),
            plans=db.session.execute(sa.select(Plan).order_by(Plan.name)).scalars(),
            errors=errors,
            limit=_megabytes(limit),
        )

    @expose("/<token>/", methods=["GET", "POST"])
    def review(self, token: str):
        stored = pending.load(token)
        if stored is None:
            flash("Cet import n'existe plus : envoyez le fichier à nouveau.", "error")
            return redirect(url_for(".index"))
        data, meta = stored
        importer = get_kind(meta["kind"])
        try:
            # Read once at upload; an upload kept from before is read here once.
            table = pending.load_table(token)
            if table is None:
                table = read_table(data, meta["filename"], _limits())
                pending.save_table(token, table)
        except ImportFileError as exc:  # the limits changed since the upload
            pending.delete(token)
            flash(str(exc), "error")
            return redirect(url_for(".index"))
        mapping = {int(i): k for i, k in meta["mapping"].items()}
        params = {"meeting_id": meta.get("meeting_id"), "plan_id": meta.get("plan_id")}
        problems: list[str] = []
        if request.method == "POST":
            mapping, problems = self._posted_mapping(importer, table)
            if not problems:
                meta["mapping"] = {str(i): k for i, k in mapping.items()}
                pending.write_meta(token, meta)
            if not problems and request.form.get("action") == "confirm":
                return self._confirm(token, meta, importer, table, mapping, params)
        db.session.commit()  # a POST's write transaction ends before the analysis
        with read_session() as reader:  # never SQLite's write lock
            analysis = importer.analyse(reader, table, mapping, params)
        meeting = (
            db.session.get(Meeting, meta["meeting_id"])
            if meta.get("meeting_id")
            else None
        )
        return self.render(
            "admin/imports/review.html",
            token=token,
            meta=meta,
            importer=importer,
            table=table,
            mapping=mapping,
            analysis=analysis,
            problems=problems,
            rows=preview_rows(analysis, PREVIEW_ROWS),
            preview_limit=PREVIEW_ROWS,
            meeting=meeting,
            plan=db.session.get(Plan, meta["plan_id"]) if meta.get("plan_id") else None,
        )

    def _posted_mapping(self, importer, table):
        mapping: dict[int, str] = {}
        problems = []
        keys = {f.key for f in importer.fields}
        for index, header in enumerate(table.headers):
            key = request.form.get(f"col-{index}", "")
            if not key:
                continue
            if key not in keys:
                problems.append(f"Champ inconnu pour la colonne « {header} ».")
            elif key in mapping.values():
                problems.append(
                    f"Le champ « {importer.field(key).label} » est associé à deux colonnes."
                )
            else:
                mapping[index] = key
        return mapping, problems

    def _confirm(self, token, meta, importer, table, mapping, params):
        analysis, counts = run_import(db.session, importer, table, mapping, params)
        if counts is None:
            record(
                TransferOperation.import_,
                meta["kind"],
                0,
                file_format=table.file_format,
                details=f"{meta['filename']} — refusé, {len(analysis.errors)} erreur(s)",
                success=False,
            )
            flash(
                "L'import n'a pas été fait : corrigez les erreurs signalées ; "
                "rien n'a été enregistré.",
                "error",
            )
            return redirect(url_for(".review", token=token))
        created, updated = counts
        record(
            TransferOperation.import_,
            meta["kind"],
            created + updated,
            file_format=table.file_format,
            details=f"{meta['filename']} — {created} création(s), {updated} mise(s) à jour",
        )
        pending.delete(token)
        flash(
            f"Import terminé : {created} création(s), {updated} mise(s) à jour.",
            "success",
        )
        endpoint = LIST_ENDPOINTS.get(meta["kind"])
        try:
            return (
                redirect(url_for(endpoint)) if endpoint else redirect(url_for(".index"))
            )
        except Exception:  # the list view is not registered in this admin
            return redirect(url_for(".index"))

    @expose("/<token>/annuler/", methods=["POST"])
    def cancel(self, token: str):
        pending.delete(token)
        flash("Import abandonné : le fichier envoyé a été supprimé.", "info")
        return redirect(url_for(".index"))


class DumpView(AccessMixin, BaseView):
    """Download the whole database as a ZIP of CSV files (Frictionless Data Package)."""

    read_role = Role.admin
    write_role = Role.admin
    export_role = Role.admin

    @expose("/", methods=["GET", "POST"])
    def index(self):
        if request.method == "POST":
            fh = tempfile.TemporaryFile()
            try:
                rows = write_dump(fh)
            except Exception:
                fh.close()
                db.session.rollback()
                log.exception("Full dump failed")
                record(
                    TransferOperation.dump,
                    "database",
                    0,
                    file_format="zip",
                    success=False,
                )
                flash(
                    "La sauvegarde n'a pas pu être produite à cause d'une erreur "
                    "interne ; elle a été consignée. Aucun fichier n'a été envoyé.",
                    "error",
                )
                return redirect(url_for(".index"))
            db.session.rollback()
            record(TransferOperation.dump, "database", rows, file_format="zip")
            fh.seek(0)
            name = current_app.config.get("ORG_SHORT_NAME", "cdpl").lower()
            stamp = time.strftime("%Y-%m-%d_%H-%M")
            return send_file(
                fh,
                mimetype="application/zip",
                as_attachment=True,
                download_name=f"{name}-sauvegarde-{stamp}.zip",
                max_age=0,
            )
        return self.render("admin/imports/dump.html")


class TransferLogView(AccessMixin, BaseView):
    """Read-only journal of exports, imports, dumps and backups (latest first)."""

    read_role = Role.admin
    write_role = Role.admin
    export_role = Role.admin

    page_size = 200

    @expose("/")
    def index(self):
        entries = (
            db.session.execute(
                sa.select(DataTransfer)
                .order_by(DataTransfer.at.desc(), DataTransfer.id.desc())
                .limit(self.page_size)
            )
            .scalars()
            .all()
        )
        return self.render(
            "admin/imports/journal.html",
            entries=entries,
            page_size=self.page_size,
            paris=PARIS,
        )
