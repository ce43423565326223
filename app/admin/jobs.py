"""Pages of long jobs: the progress page each person follows, the admins' list."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from app.admin.journal import AdminLogView
from app.auth.access import MAX_ID, AccessMixin
from app.exports import pending
from app.exports.jobs import ANALYSE, CONFIRM, DUMP
from app.jobs import RUNNERS, jobs_dir, refresh, waiting_message
from app.models.accounts import Role
from app.models.jobs import Job, JobState
from app.timezone import PARIS

#: Seconds between two automatic reloads of a progress page.
REFRESH_SECONDS = 2
#: Where to go after an import, per kind: the list of the imported records.
LIST_ENDPOINTS = {
    "membres": "member.index_view",
    "structures": "organisation.index_view",
    "presences": "attendance.index_view",
    "actions-plan": "plan_action.index_view",
    "mesures": "measurement.index_view",
}


def visible_job(raw_id: str) -> Job:
    """The job if this account started it (or is an admin); otherwise 404.

    404 rather than 403: the page does not tell that another person's job exists.
    A malformed number (``abc``, 10^20) is a 404 too.
    """
    ok = raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 12
    job_id = int(raw_id) if ok else 0
    job = refresh(job_id) if 0 < job_id <= MAX_ID else None
    user = current_user._get_current_object()
    if job is None or not (job.user_id == user.id or user.has_role(Role.admin)):
        abort(404)
    return job


def job_url(job_id: int) -> str:
    return url_for("jobs.show", job_id=job_id)


def _list_url(kind: str) -> str:
    try:
        return url_for(LIST_ENDPOINTS[kind])
    except Exception:  # the list view is not registered in this admin
        return url_for("imports.index")


def import_outcome(job: Job):
    """Where a finished import job leads (with its message), or None.

    Analysis: the review page (or the upload page with the file's problem);
    confirm: the imported list, or the review page with what refused it.
    """
    if job.state is JobState.done and job.kind == ANALYSE:
        return redirect(url_for("imports.review", token=job.result))
    if job.state is JobState.done and job.kind == CONFIRM:
        flash(job.message, "success")
        return redirect(_list_url(job.result))
    if job.state is JobState.failed and job.kind == CONFIRM:
        flash(job.error, "error")
        token = _payload(job).get("token")
        if token and pending.load(token) is not None:
            return redirect(url_for("imports.review", token=token))
        return redirect(url_for("imports.index"))
    if job.state is JobState.failed and job.kind == ANALYSE:
        flash(job.error, "error")
        payload = _payload(job)
        keep = {
            k: payload[k] for k in ("kind", "meeting_id", "plan_id") if payload.get(k)
        }
        return redirect(url_for("imports.index", **keep))
    return None


class JobView(AccessMixin, BaseView):
    """The progress page of one job, then what it produced (preview, list, ZIP)."""

    #: Any account may follow its own jobs; the page itself checks the owner.
    read_role = Role.reader
    write_role = Role.editor  # no write endpoint: a POST is refused anyway

    def is_visible(self) -> bool:
        return False  # reached from the page that started the job

    @expose("/")
    def index(self):
        return redirect(url_for("admin.index"))

    @expose("/<job_id>/")
    def show(self, job_id: str):
        job = visible_job(job_id)
        outcome = import_outcome(job)
        if outcome is not None:
            return outcome
        download, expires = None, None
        if job.state is JobState.done and job.kind == DUMP:
            path = self._file(job)
            if path is not None:
                download = url_for(".download", job_id=job.id)
                age = current_app.config["JOBS_FILE_MAX_AGE_SECONDS"]
                expires = (job.finished_at + timedelta(seconds=age)).astimezone(PARIS)
        runner = RUNNERS.get(job.kind)
        return self.render(
            "admin/jobs/show.html",
            job=job,
            unit=runner.unit if runner else "",
            waiting=waiting_message(job),
            refresh=None if job.finished else REFRESH_SECONDS,
            download=download,
            expires=expires,
            paris=PARIS,
        )

    @expose("/<job_id>/telecharger/")
    def download(self, job_id: str):
        job = visible_job(job_id)
        path = self._file(job) if job.state is JobState.done else None
        if path is None:
            abort(404)
        name = current_app.config.get("ORG_SHORT_NAME", "cdpl").lower()
        stamp = job.finished_at.astimezone(PARIS).strftime("%Y-%m-%d_%H-%M")
        return send_file(
            path,
            mimetype="application/zip",
            as_attachment=True,
            download_name=f"{name}-sauvegarde-{stamp}.zip",
            max_age=0,
        )

    @staticmethod
    def _file(job: Job) -> Path | None:
        """The dump's ZIP while it is kept (JOBS_FILE_MAX_AGE_SECONDS)."""
        if job.kind != DUMP or not job.result or "/" in job.result:
            return None
        path = jobs_dir() / job.result
        return path if path.is_file() else None


def _payload(job: Job) -> dict:
    """The job's parameters (JSON written by ``app.jobs.submit``)."""
    try:
        data = json.loads(job.payload or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class JobListView(AdminLogView):
    """Every long job (imports, dumps), read-only, for administrators."""

    column_list = [
        "created_at",
        "kind",
        "state",
        "started_by",
        "done_count",
        "total_count",
        "message",
        "error",
        "finished_at",
    ]
    column_filters = ["state", "kind", "started_by", "created_at"]
    column_default_sort = ("created_at", True)
    column_formatters = {
        "kind": lambda view, context, job, name: (
            RUNNERS[job.kind].label if job.kind in RUNNERS else job.kind
        )
    }
