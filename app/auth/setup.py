"""First administrator: a one-time setup page guarded by a console token."""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request

from app.auth import events
from app.auth.passwords import hash_password
from app.extensions import db
from app.models.accounts import Role, SecurityEventKind, User
from app.models.base import utcnow

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
    if has_request_context():
        # Created by a visit to the setup page: the console is where the person
        # running the server reads it.
        _print_token(token, request.host_url.rstrip("/"))
    return token


def token_matches(given: str | None) -> bool:
    expected = setup_token()
    return bool(given) and hmac.compare_digest(given.strip(), expected)


def forget_token() -> None:
    _token_path(current_app).unlink(missing_ok=True)


def announce(app: Flask, base_url: str | None = None) -> None:
    """At server start: print the setup page's address and token while no account
    exists. ``base_url`` is where the server listens (``http://127.0.0.1:5000``);
    the WSGI entry point, which does not know it, uses ``PUBLIC_URL``."""
    if app.extensions.get("cdpl_setup_announced"):
        return  # ``flask --app wsgi serve`` reaches here twice
    app.extensions["cdpl_setup_announced"] = True
    try:
        with app.app_context():
            if not no_account_yet():
                return
            token = setup_token(app)
    except sa.exc.SQLAlchemyError:
        return  # no tables yet (database not migrated): nothing to announce
    _print_token(token, base_url or app.config.get("PUBLIC_URL") or None)


def _print_token(token: str, base_url: str | None) -> None:
    # Printed on the server console, never logged: the security log must not
    # hold a token.
    page = f"{base_url}/installation" if base_url else "/installation (sur ce serveur)"
    print(  # noqa: T201
        "Aucun compte n'existe. Créez le premier administrateur sur la page "
        f"{page} avec le jeton : {token}\n"
        "ou en ligne de commande : cdpl-gestion create-admin --email VOTRE@ADRESSE",
        flush=True,
    )


def create_administrator(email: str, name: str | None, password: str, detail: str):
    """Create an active administrator (password already checked), log the event,
    commit, and retire the one-time setup token. Returns the account."""
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
