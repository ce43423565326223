"""Calendar feeds that calendar clients subscribe to with a secret token in the URL.

Calendar clients cannot log in, so these routes live outside /admin and accept a
per-account token instead; a revoked or unknown token gets a plain 404 (nothing
tells a guesser whether a token ever existed).
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import Blueprint, Response, abort
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.meetings import ical
from app.models import CalendarToken, Meeting, WorkingGroup

bp = Blueprint("feeds", __name__, url_prefix="/agenda")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh secret and the hash stored for it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def _check(token: str) -> CalendarToken:
    if not token or len(token) > 100:
        abort(404)
    row = db.session.execute(
        sa.select(CalendarToken).where(CalendarToken.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        abort(404)
    if row.user is not None and not row.user.active:
        abort(404)  # a deactivated account's subscriptions stop with it
    return row


def ics_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=900"
    # The token is in the URL: never leak it through a Referer header.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _meetings(group_id: int | None = None) -> list[Meeting]:
    stmt = (
        sa.select(Meeting)
        .options(selectinload(Meeting.group))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if group_id is not None:
        stmt = stmt.where(Meeting.group_id == group_id)
    return list(db.session.execute(stmt).scalars())


@bp.get("/<token>/reunions.ics")
def all_meetings(token: str):
    _check(token)
    return ics_response(ical.calendar(_meetings(), "Réunions"), "reunions.ics")


@bp.get("/<token>/groupe-<int:group_id>.ics")
def group_meetings(token: str, group_id: int):
    _check(token)
    group = db.session.get(WorkingGroup, group_id) if group_id < 2**31 else None
    if group is None:
        abort(404)
    body = ical.calendar(_meetings(group_id), f"Réunions — {group.name}")
    return ics_response(body, f"groupe-{group_id}.ics")
