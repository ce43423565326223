"""Accounts, sessions, access rules and the security baseline of every response."""

from __future__ import annotations

import logging

from flask import Flask, g

from app.auth.headers import register_error_pages, set_security_headers
from app.auth.redirects import check_request_params
from app.auth.sessions import CookieSessionInterface, load_user
from app.auth.views import bp
from app.extensions import login_manager

log = logging.getLogger(__name__)


def init_auth(app: Flask) -> None:
    """Wire Flask-Login, the auth pages, headers, error pages and request checks."""
    # The security log is INFO: keep it even when the root logger is at WARNING
    # (Alembic's logging configuration sets that during start-up migrations).
    logging.getLogger("cdpl.security").setLevel(logging.INFO)
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    # The server-side session replaces Flask-Login's IP/agent fingerprint.
    login_manager.session_protection = None
    login_manager.user_loader(load_user)
    app.session_interface = CookieSessionInterface()
    app.register_blueprint(bp)
    app.before_request(_fresh_request_state)
    app.before_request(check_request_params)
    app.after_request(set_security_headers)
    register_error_pages(app)


def _fresh_request_state() -> None:
    """Identify the user anew on every request.

    Flask reuses an app context that is already active (tests, CLI), and with it
    ``g``; Flask-Login's cached user must never outlive its request.
    """
    g.pop("_login_user", None)
    g.pop("csp_nonce", None)
