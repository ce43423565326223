"""The plan page (actions, budgets, amendments, indicators, progress) and the
avis's amendment list with its downloads; mixed into PlanView
(URLs /admin/plan/page/?id=, /admin/plan/avis/…)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_admin import BaseView, expose

from app.auth.access import AccessMixin
from app.documents.safety import Limits, UploadError, check_upload
from app.documents.storage import add_version
from app.extensions import db
from app.meetings.pdf import html_to_pdf
from app.models import AmendmentStatus, Document, DocumentKind, Plan, WorkingGroup
from app.models.base import format_date_fr
from app.models.plans import ProgressStatus
from app.plans.avis import build_avis, to_markdown, to_odt
from app.plans.charts import value_text
from app.plans.money import format_euros, format_percent
from app.plans.page import build_plan_page, plan_summaries
from app.plans.trajectory import TrackStatus
from app.timezone import PARIS

MAX_ID = 2**31 - 1


def _fmt_datetime(value: datetime | None) -> str:
    return value.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if value else ""


#: Formatting helpers the plan templates call.
HELPERS = {
    "fmt_euros": format_euros,
    "fmt_percent": format_percent,
    "fmt_date": format_date_fr,
    "fmt_datetime": _fmt_datetime,
    "value_text": value_text,
}


def int_arg(name: str) -> int | None:
    """An integer query argument, None when absent or malformed (never a 500)."""
    raw = request.args.get(name, "")
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 < value <= MAX_ID else None


def record_or_404(model):
    record_id = int_arg("id")
    record = db.session.get(model, record_id) if record_id else None
    if record is None:
        abort(404)
    return record


def _avis_pdf(plan: Plan, avis) -> bytes:
    """The avis's amendment list printed on the organisation's letterhead."""
    html = render_template(
        "admin/plans/avis_pdf.html",
        plan=plan,
        avis=avis,
        pdf_title=f"Avis — {plan.name}",
    )
    static_path = url_for("static", filename="").rstrip("/")
    return html_to_pdf(html, current_app.static_folder, static_path)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class PlanScreens:
    """Mixed into PlanView."""

    @expose("/page/")
    def page_view(self):
        plan = record_or_404(Plan)
        axis = request.args.get("axis") or None
        status = ProgressStatus.__members__.get(request.args.get("status", ""))
        page = build_plan_page(plan, axis=axis, status=status)
        if axis not in page.axis_choices:
            axis = None
        return self.render(
            "admin/plans/page.html",
            page=page,
            axis=axis,
            status=status,
            progress_statuses=list(ProgressStatus),
            amendment_statuses=list(AmendmentStatus),
            track_statuses=TrackStatus,
            **HELPERS,
        )

    def _avis(self, plan: Plan):
        group_id = int_arg("group")
        group = db.session.get(WorkingGroup, group_id) if group_id else None
        org = current_app.config.get("ORG_SHORT_NAME", "CDPL")
        return build_avis(
            plan,
            org=org,
            group_id=group.id if group else None,
            group=group.name if group else None,
        )

    @expose("/avis/")
    def avis_view(self):
        plan = record_or_404(Plan)
        avis = self._avis(plan)
        groups = db.session.execute(
            sa.select(WorkingGroup).order_by(WorkingGroup.name)
        ).scalars()
        return self.render(
            "admin/plans/avis.html",
            plan=plan,
            avis=avis,
            groups=list(groups),
            group_id=int_arg("group"),
            avis_documents=self.avis_documents(),
            **HELPERS,
        )

    @expose("/avis/md/")
    def avis_md_view(self):
        avis = self._avis(record_or_404(Plan))
        return _download(
            to_markdown(avis).encode("utf-8"),
            "text/markdown; charset=utf-8",
            f"{avis.filename}.md",
        )

    @expose("/avis/odt/")
    def avis_odt_view(self):
        avis = self._avis(record_or_404(Plan))
        return _download(
            to_odt(avis),
            "application/vnd.oasis.opendocument.text",
            f"{avis.filename}.odt",
        )

    @expose("/avis/pdf/")
    def avis_pdf_view(self):
        plan = record_or_404(Plan)
        avis = self._avis(plan)
        return _download(
            _avis_pdf(plan, avis), "application/pdf", f"{avis.filename}.pdf"
        )

    @expose("/avis/attach/", methods=("POST",))
    def avis_attach_view(self):
        """Attach the generated amendment list to an "Avis" document as its next
        version (ODT or PDF), so that it follows the documents' circuit."""
        plan = record_or_404(Plan)
        avis = self._avis(plan)
        back = url_for(".avis_view", id=plan.id, group=int_arg("group"))
        try:
            document_id = int(request.form.get("document") or 0)
        except ValueError:
            document_id = 0
        document = db.session.get(Document, document_id) if document_id else None
        if document is None or document.kind != DocumentKind.opinion:
            flash("Choisissez le document « Avis » auquel joindre ce texte.", "error")
            return redirect(back)
        if request.form.get("format") == "pdf":
            name, data = f"{avis.filename}.pdf", _avis_pdf(plan, avis)
        else:
            name, data = f"{avis.filename}.odt", to_odt(avis)
        try:
            checked = check_upload(name, data, Limits.from_config(current_app.config))
        except UploadError as exc:
            flash(str(exc), "error")
            return redirect(back)
        version = add_version(
            document.id, checked, f"Amendements générés depuis « {plan.name} »"
        )
        db.session.commit()
        flash(
            f"Version {version.number} ({name}) ajoutée au document "
            f"« {document.title} ».",
            "success",
        )
        return redirect(url_for("document.files_view", id=document.id))

    def avis_documents(self) -> list[Document]:
        """The "Avis" documents the amendment list can be attached to."""
        return list(
            db.session.execute(
                sa.select(Document)
                .where(Document.kind == DocumentKind.opinion)
                .order_by(Document.title)
            ).scalars()
        )


class PlanOverviewView(AccessMixin, BaseView):
    """The menu's way to the plan pages: every plan with its size and budget."""

    @expose("/")
    def index(self):
        return self.render(
            "admin/plans/overview.html", plans=plan_summaries(), **HELPERS
        )
