"""First administrator: a one-time setup page guarded by a console token."""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from app.extensions import db
from app.models.accounts import User

log = logging.getLogger("cdpl.setup")


def no_account_yet() -> bool:
    return db.session.execute(sa.select(User.id).limit(1)).first() is None


def _token_path(app: Flask) -> Path:
    configured = app.config.get("SETUP_TOKEN_PATH")
    return Path(configured) if configured else Path(app.instance_path) / "setup_token"


def setup_token(app: Flask | None = None) -> str:
    """The setup token, created once and shared by every worker of this host."""
    app = app or current_app._get_current_object()
    path = _token_path(app)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
        path.unlink(missing_ok=True)
        return setup_token(app)
    token = secrets.token_urlsafe(24)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token)
    _print_token(token)
    return token


def token_matches(given: str | None) -> bool:
    expected = setup_token()
    return bool(given) and hmac.compare_digest(given.strip(), expected)


def forget_token() -> None:
    _token_path(current_app).unlink(missing_ok=True)


def announce(app: Flask) -> None:
    """At server start: print the setup token when no account exists yet."""
    if app.extensions.get("cdpl_setup_announced"):
        return  # ``flask --app wsgi serve`` reaches here twice
    app.extensions["cdpl_setup_announced"] = True
    try:
        with app.app_context():
            if not no_account_yet():
                return
            path_existed = _token_path(app).exists()
            token = setup_token(app)
    except sa.exc.SQLAlchemyError:
        return  # no tables yet (database not migrated): nothing to announce
    if path_existed:  # a new token was printed by setup_token()
        _print_token(token)


def _print_token(token: str) -> None:
    # Printed on the server console, never logged: the security log must not
    # hold a token.
    print(  # noqa: T201
        "Aucun compte n'existe. Créez le premier administrateur avec "
        "« cdpl-gestion create-admin » ou sur la page /installation avec le "
        f"jeton : {token}",
        flush=True,
    )


def create_administrator(email: str, name: str | None, password: str, detail: str):
    """Create an active administrator (password already checked), log the event,
    commit, and retire the one-time setup token. Returns the account."""
    from app.auth import events
    from app.auth.passwords import hash_password
    from app.models.accounts import Role, SecurityEventKind
    from app.models.base import utcnow

    user = User(
        email=email,
        name=(name or "").strip() or None,
        role=Role.admin,
        active=True,
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    events.record(
        SecurityEventKind.account_created, user=user, detail=detail, commit=False
    )
    db.session.commit()
    forget_token()
    return user
