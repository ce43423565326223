"""Admin pages moving data in and out: "Importer" and "Sauvegarde complète"."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from werkzeug.exceptions import RequestEntityTooLarge

from app.admin.jobs import import_outcome, job_url
from app.auth.access import MAX_ID, AccessMixin
from app.exports import pending
from app.exports.import_kinds import KINDS, get_kind
from app.exports.jobs import ANALYSE, CONFIRM, DUMP
from app.exports.preview import PREVIEW_ROWS, Preview
from app.extensions import db
from app.history.actor import current_actor
from app.jobs import get_job, submit
from app.models import DataTransfer, Meeting, Plan
from app.models.accounts import Role
from app.models.jobs import JobState
from app.timezone import PARIS


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


def _start(kind: str, payload: dict) -> int:
    """Queue a job for the account of this request (its transaction ended first)."""
    actor = current_actor()  # read before the commit, which would reload it
    db.session.commit()  # the job's rows are written by sessions of their own
    return submit(kind, payload, actor)


def _meeting_id(raw: str | None) -> int | None:
    """The id of an existing meeting, or None (``abc``, 10^20, a deleted one)."""
    try:
        value = int(raw or "")
    except ValueError:
        return None
    if not 0 < value <= MAX_ID or db.session.get(Meeting, value) is None:
        return None
    return value


def _empty_preview(mapping: dict[int, str]) -> Preview:
    return Preview({str(i): k for i, k in mapping.items()}, [], False, 0, 0, 0, 0, [])


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
                # The file is read and analysed by a job, outside the request.
                meta = {
                    "kind": kind,
                    "filename": upload.filename,
                    "meeting_id": meeting_id,
                    "plan_id": plan_id,
                    "mapping": None,  # matched on the headers by the job
                }
                token = pending.save(data, meta)
                job_id = _start(
                    ANALYSE,
                    {"token": token, "kind": kind, "meeting_id": meeting_id}
                    | {"plan_id": plan_id},
                )
                job = get_job(job_id)
                if job.state is JobState.failed:  # already read (inline or quick)
                    errors.append(job.error)
                elif job.finished:
                    return import_outcome(job)
                else:
                    return redirect(job_url(job_id))
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
        table = pending.load_table(token)
        if table is None or meta.get("mapping") is None:  # not read yet
            return self._analyse(token)
        mapping = {int(i): k for i, k in meta["mapping"].items()}
        problems: list[str] = []
        if request.method == "POST":
            mapping, problems = self._posted_mapping(importer, table)
            if not problems:
                meta["mapping"] = {str(i): k for i, k in mapping.items()}
                pending.write_meta(token, meta)
                pending.drop_preview(token)  # a POST analyses again
            if not problems and request.form.get("action") == "confirm":
                job = get_job(_start(CONFIRM, {"token": token}))
                return import_outcome(job) or redirect(job_url(job.id))
        preview = pending.load_preview(token)
        if preview is None or not preview.matches(mapping):
            if problems:  # the page shows the problems with the last analysis
                preview = preview or _empty_preview(mapping)
            else:
                response = self._analyse(token)
                preview = pending.load_preview(token)
                if preview is None or not preview.matches(mapping):
                    return response
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
            analysis=preview,
            problems=problems,
            rows=preview.rows,
            preview_limit=PREVIEW_ROWS,
            meeting=meeting,
            plan=db.session.get(Plan, meta["plan_id"]) if meta.get("plan_id") else None,
        )

    def _analyse(self, token: str):
        """Analyse in a job; its outcome at once when it is done, else its page."""
        job = get_job(_start(ANALYSE, {"token": token}))
        return import_outcome(job) or redirect(job_url(job.id))

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
        if request.method == "POST":  # written by a job, downloaded from its page
            return redirect(job_url(_start(DUMP, {})))
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
