"""The security log (logger ``cdpl.security`` and table ``security_event``)
and the login throttling that reads it."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from app.db import short_write
from app.extensions import db
from app.models.accounts import SecurityEvent, SecurityEventKind, User
from app.models.base import utcnow

log = logging.getLogger("cdpl.security")

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def clean(value: object, limit: int = 200) -> str:
    """Make user input safe for one log line: control characters escaped, length cut.

    A CR or LF typed in a login field shows as ``\\n`` instead of starting a new,
    forged log line.
    """
    text = "" if value is None else str(value)
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)
    return text[:limit]


def client_ip() -> str | None:
    # request.remote_addr is the proxy's address unless ProxyFix is configured.
    return request.remote_addr if has_request_context() else None


def record(
    kind: SecurityEventKind,
    *,
    email: str | None = None,
    user: User | None = None,
    detail: str | None = None,
    commit: bool = True,
) -> None:
    """Write one security event to the log and to the database."""
    if user is not None and email is None:
        email = user.email
    email = clean(email, 254) if email else None
    ip = clean(client_ip(), 64) if client_ip() else None
    detail = clean(detail, 500) if detail else None
    at = utcnow()
    log.info(
        "%s event=%s account=%s ip=%s%s",
        at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        kind.name,
        email or "-",
        ip or "-",
        f" detail={detail}" if detail else "",
    )
    event = SecurityEvent(
        at=at,
        kind=kind,
        email=email,
        user_id=user.id if user is not None else None,
        ip=ip,
        detail=detail,
    )
    if not commit:
        db.session.add(event)  # committed by the caller with its own changes
        return
    try:
        # A read request (access refused on a GET) writes it in a short
        # transaction of its own instead of upgrading its read transaction.
        with short_write() as writer:
            writer.add(event)
    except sa.exc.SQLAlchemyError:
        # The log line above is kept; a broken database must not hide the page.
        db.session.rollback()
        log.exception("Could not store security event %s", kind.name)


def _window_start():
    seconds = int(current_app.config.get("LOGIN_FAILURE_WINDOW_SECONDS", 900))
    return utcnow() - timedelta(seconds=seconds)


def _failures(session, column, value, since) -> int:
    stmt = (
        sa.select(sa.func.count())
        .select_from(SecurityEvent)
        .where(
            SecurityEvent.kind == SecurityEventKind.login_failure,
            column == value,
            SecurityEvent.at >= since,
        )
    )
    return session.execute(stmt).scalar_one()


def login_blocked(email: str, session=None) -> bool:
    """True when this account or this address failed too often in the window.

    Failures count only inside a sliding window, so the right password works
    again once it has passed: nobody is locked out for good. A successful login
    clears the account's count (not the address's). Reads through ``session``
    (``db.session`` by default).
    """
    session = session or db.session
    since = _window_start()
    last_success = session.execute(
        sa.select(sa.func.max(SecurityEvent.at)).where(
            SecurityEvent.kind == SecurityEventKind.login_success,
            SecurityEvent.email == email,
        )
    ).scalar_one()
    account_since = max(since, last_success) if last_success else since
    per_account = int(current_app.config.get("LOGIN_MAX_FAILURES", 5))
    if _failures(session, SecurityEvent.email, email, account_since) >= per_account:
        return True
    ip = client_ip()
    per_ip = int(current_app.config.get("LOGIN_MAX_FAILURES_PER_ADDRESS", 20))
    return bool(ip) and _failures(session, SecurityEvent.ip, ip, since) >= per_ip


def retry_after_seconds() -> int:
    return int(current_app.config.get("LOGIN_FAILURE_WINDOW_SECONDS", 900))
