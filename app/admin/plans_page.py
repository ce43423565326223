"""The plan page (actions, budgets, amendments, indicators, progress) and the
avis's amendment list with its downloads; mixed into PlanView
(URLs /admin/plan/page/?id=, /admin/plan/avis/…)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Response, abort, current_app, request
from flask_admin import BaseView, expose

from app.auth.access import AccessMixin
from app.extensions import db
from app.models import AmendmentStatus, Plan, WorkingGroup
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


class PlanOverviewView(AccessMixin, BaseView):
    """The menu's way to the plan pages: every plan with its size and budget."""

    @expose("/")
    def index(self):
        return self.render(
            "admin/plans/overview.html", plans=plan_summaries(), **HELPERS
        )
