"""Public pages under /public/: what the council chose to publish, no login.

Every record shown passes app.opendata.selection (its own ``public`` flag and
its parents'); an unknown id and a private one get the same 404. Pages carry
no inline script or style (no CSP nonce), so identical data gives identical
bytes: ETag and Last-Modified let browsers and proxies keep them. The whole
blueprint answers 404 when PUBLIC_PAGES_ENABLED is false.
"""

from __future__ import annotations

import hashlib
import unicodedata
from decimal import Decimal
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, render_template, request

from app.documents import storage
from app.extensions import db
from app.meetings.ical import calendar, meeting_summary
from app.models.plans import Measurement
from app.models.rgpd import ConsentPurpose
from app.opendata import selection
from app.opendata.freshness import cached_package
from app.opendata.package import last_change
from app.opendata.resources import RESOURCES, attendance_counts, attendance_names
from app.plans.charts import ChartData, indicator_chart
from app.plans.money import format_euros, format_percent
from app.plans.trajectory import Point, indicator_track
from app.rgpd.consent import last_consent_change

bp = Blueprint("public", __name__, url_prefix="/public")

#: Seconds a browser or proxy may keep a public answer before asking again.
MAX_AGE = 300

_MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
}


@bp.before_request
def _switched_off():
    if not current_app.config.get("PUBLIC_PAGES_ENABLED", True):
        abort(404)


def _cache_control(revalidate: bool = False) -> str:
    # A request with cookies may get a refreshed session cookie back (added
    # after this view): such an answer must never sit in a shared cache.
    scope = "private" if request.cookies else "public"
    if revalidate:
        # Names shown with consent: a withdrawal must take effect at the very
        # next view, so caches ask each time (a 304 when nothing changed).
        return f"{scope}, no-cache"
    return f"{scope}, max-age={MAX_AGE}"


def _cacheable(
    body: bytes | str,
    mimetype: str,
    last_modified=None,
    revalidate: bool = False,
    **headers,
) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    response = Response(data, content_type=mimetype)
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.last_modified = last_modified or last_change()
    response.headers["Cache-Control"] = _cache_control(revalidate)
    response.vary.add("Cookie")
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response.make_conditional(request)


def _page(template: str, last_modified=None, revalidate=False, **context) -> Response:
    return _cacheable(
        render_template(template, **context),
        "text/html; charset=utf-8",
        last_modified=last_modified,
        revalidate=revalidate,
    )


def _ascii_name(filename: str) -> str:
    text = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() or c in " ._-()" else "_" for c in text)


def _attachment(filename: str) -> str:
    return (
        f'attachment; filename="{_ascii_name(filename) or "fichier"}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )


@bp.app_template_filter("euros")
def _euros(value: Decimal | None) -> str:
    return format_euros(value) if value is not None else "—"


@bp.app_template_filter("pourcent")
def _percent(value: Decimal | None) -> str:
    return format_percent(value) if value is not None else "—"


@bp.get("/")
def index():
    meetings = selection.public_meetings()
    return _page(
        "public/index.html",
        plans=selection.public_plans(),
        meetings=meetings,
        counts=attendance_counts([m.id for m in meetings]),
        documents=selection.public_documents(),
        summary=meeting_summary,
    )


def _chart(indicator) -> tuple:
    measurements = list(
        db.session.query(Measurement)
        .filter(Measurement.indicator_id == indicator.id)
        .order_by(Measurement.measured_on)
    )
    points = [Point(m.measured_on, Decimal(m.value)) for m in measurements]
    track = indicator_track(indicator, points)
    data = ChartData(indicator.name, indicator.unit or "", points, track)
    return indicator_chart(data, chart_id=f"indicateur-{indicator.id}"), measurements


@bp.get("/plans/<int:plan_id>")
def plan(plan_id: int):
    found = selection.get_public("plan", plan_id)
    if found is None:
        abort(404)
    actions = selection.public_actions(plan_id)
    action_ids = {a.id for a in actions}
    amendments: dict[int, list] = {}
    for amendment in selection.public_amendments():
        if amendment.plan_action_id in action_ids:
            amendments.setdefault(amendment.plan_action_id, []).append(amendment)
    indicators = [
        (indicator, *_chart(indicator))
        for indicator in selection.public_indicators()
        if indicator.plan_action_id in action_ids
    ]
    total = sum((a.budget or Decimal(0) for a in actions), Decimal(0))
    return _page(
        "public/plan.html",
        plan=found,
        actions=actions,
        amendments=amendments,
        indicators=indicators,
        total=total,
    )


@bp.get("/reunions/")
def meetings():
    found = selection.public_meetings()
    ids = [m.id for m in found]
    return _page(
        "public/meetings.html",
        # A consent given or withdrawn changes the page, not the meetings.
        last_modified=max(
            last_change(), last_consent_change(ConsentPurpose.named_in_minutes)
        ),
        revalidate=True,
        meetings=found,
        counts=attendance_counts(ids),
        names=attendance_names(ids),
        summary=meeting_summary,
    )


@bp.get("/reunions.ics")
def meetings_feed():
    found = selection.public_meetings()
    name = f"Réunions publiques — {current_app.config['ORG_SHORT_NAME']}"
    body = calendar(found, name)
    response = Response(body, content_type="text/calendar; charset=utf-8")
    # The file's DTSTAMP is its creation time: the ETag follows the meetings.
    state = ";".join(f"{m.id}:{m.version}:{m.updated_at}" for m in found)
    response.set_etag(hashlib.sha256(state.encode()).hexdigest()[:32])
    response.last_modified = last_change()
    response.headers["Cache-Control"] = _cache_control()
    return response.make_conditional(request)


@bp.get("/documents/<int:document_id>")
def document(document_id: int):
    found = selection.get_public("document", document_id)
    if found is None:
        abort(404)
    return _page("public/document.html", document=found, current=found.current_version)


@bp.get("/documents/<int:document_id>/fichier")
def document_file(document_id: int):
    found = selection.get_public("document", document_id)
    version = found.current_version if found is not None else None
    if version is None:
        abort(404)
    body = storage.read_content(version.id)
    response = Response(body, content_type=version.media_type)
    response.headers["Content-Disposition"] = _attachment(version.filename)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = _cache_control()
    response.set_etag(version.sha256)
    return response.make_conditional(request)


@bp.get("/donnees/")
def data_index():
    package = cached_package()
    return _page(
        "public/data.html",
        last_modified=package.generated_at,
        package=package,
        resources=RESOURCES,
        licence_title=current_app.config["OPENDATA_LICENCE_TITLE"],
        licence_url=current_app.config["OPENDATA_LICENCE_URL"],
    )


@bp.get("/donnees/donnees-publiques.zip")
def data_zip():
    package = cached_package()
    return _cacheable(
        package.zip_bytes(),
        "application/zip",
        last_modified=package.generated_at,
        Content_Disposition='attachment; filename="donnees-publiques.zip"',
    )


@bp.get("/donnees/<filename>")
def data_file(filename: str):
    package = cached_package()
    body = package.files.get(filename)
    if body is None:
        abort(404)
    suffix = filename[filename.rfind(".") :]
    return _cacheable(
        body,
        _MEDIA_TYPES.get(suffix, "application/octet-stream"),
        last_modified=package.generated_at,
    )
