"""Plain (non-admin) routes and per-request helpers shared by every page."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, url_for
from flask_babel import get_locale, refresh

from app.auth.headers import csp_nonce
from app.meetings.feeds import bp as feeds_bp
from app.public.opendata import bp as public_bp
from app.public.replies import bp as replies_bp

bp = Blueprint("web", __name__)


@bp.get("/")
def home():
    return redirect(url_for("admin.index"))


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico on pages that declare none (files, errors).
    return redirect(url_for("static", filename="favicon.svg"), code=301)


def _declare_language(response):
    """Flask-Admin's base template has a bare <html>: declare the page language."""
    if (
        response.mimetype == "text/html"
        and not response.is_streamed
        and not response.direct_passthrough
    ):
        body = response.get_data()
        if b"<html>" in body[:400]:
            lang = str(get_locale() or "fr").encode()
            response.set_data(
                body.replace(b"<html>", b'<html lang="' + lang + b'">', 1)
            )
    return response


def _defuse_inline_handlers(response):
    """Flask-Admin's templates carry a few ``onclick=""`` attributes. The CSP
    forbids inline code, and Chromium logged a refusal for each one on every page
    load; renamed ``data-cdpl-onclick``, they are run by static/cdpl-csp.js, which
    recognises only their known shapes."""
    if (
        response.mimetype == "text/html"
        and not response.is_streamed
        and not response.direct_passthrough
    ):
        body = response.get_data()
        if b' onclick="' in body:
            response.set_data(body.replace(b' onclick="', b' data-cdpl-onclick="'))
    return response


def register_web(app: Flask) -> None:
    """Register plain routes and template helpers."""
    app.register_blueprint(bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(replies_bp)
    app.register_blueprint(public_bp)
    app.after_request(_declare_language)
    app.after_request(_defuse_inline_handlers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    # Flask-Babel caches the locale in the app context, which a test client (or
    # any caller that keeps one app context) shares between requests.
    app.before_request(refresh)
    app.jinja_env.globals["get_locale"] = get_locale
