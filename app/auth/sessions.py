"""Server-side sessions: the signed cookie carries a random token, the database
holds the session. Deleting the row ends the session for every worker and host."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user, logout_user

from app.db import short_write
from app.extensions import db
from app.models.accounts import AuthSession, User
from app.models.base import utcnow

SESSION_KEY = "_sid"
#: Write last_seen_at at most this often: one UPDATE per minute, not per request.
TOUCH_EVERY = timedelta(seconds=60)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> None:
    """Log ``user`` in with a brand-new session (old cookie content is dropped)."""
    session.clear()  # also renews the CSRF token: no session fixation
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        AuthSession(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip=(request.remote_addr or "")[:64] or None,
        )
    )
    user.last_login_at = now
    db.session.commit()
    session[SESSION_KEY] = token
    login_user(user)


def end_session() -> None:
    """Log out: delete the server row, then empty the cookie."""
    token = session.get(SESSION_KEY)
    if token:
        db.session.execute(
            sa.delete(AuthSession).where(AuthSession.token_hash == _digest(token))
        )
        db.session.commit()
    logout_user()
    session.clear()


def end_other_sessions(user: User, keep_current: bool = True) -> None:
    """End every session of ``user`` (but this one when ``keep_current``)."""
    stmt = sa.delete(AuthSession).where(AuthSession.user_id == user.id)
    token = session.get(SESSION_KEY) if keep_current else None
    if token:
        stmt = stmt.where(AuthSession.token_hash != _digest(token))
    db.session.execute(stmt)


def load_user(user_id: str) -> User | None:
    """Flask-Login's user_loader: valid only with a live server session."""
    token = session.get(SESSION_KEY)
    if not token or not str(user_id).isdigit():
        return None
    row = db.session.execute(
        sa.select(AuthSession).where(AuthSession.token_hash == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.user_id != int(user_id):
        return None
    now = utcnow()
    cfg = current_app.config
    idle = timedelta(minutes=int(cfg.get("SESSION_IDLE_TIMEOUT_MINUTES", 30)))
    absolute = timedelta(hours=int(cfg.get("SESSION_ABSOLUTE_LIFETIME_HOURS", 12)))
    user = row.user
    if (
        now - row.last_seen_at > idle
        or now - row.created_at > absolute
        or user is None
        or not user.active
    ):
        # A short transaction of its own: this check runs in every request,
        # read requests included, whose transaction must stay a read.
        with short_write() as writer:
            writer.execute(sa.delete(AuthSession).where(AuthSession.id == row.id))
        session.pop(SESSION_KEY, None)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        with short_write() as writer:
            writer.execute(
                sa.update(AuthSession)
                .where(AuthSession.id == row.id)
                .values(last_seen_at=now)
            )
    return user


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        try:
            return request.is_secure
        except RuntimeError:  # outside a request
            return False
