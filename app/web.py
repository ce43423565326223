"""Plain (non-admin) routes and per-request helpers shared by every page."""

from __future__ import annotations

import secrets

from flask import Blueprint, Flask, g, redirect, request, session, url_for

bp = Blueprint("web", __name__)


def csp_nonce() -> str:
    """A random nonce for this request's inline scripts and styles."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


@bp.get("/")
def home():
    return redirect(url_for("admin.index"))


@bp.post("/langue")
def set_language():
    lang = request.form.get("lang", "fr")
    session["lang"] = lang if lang in ("fr", "en") else "fr"
    return redirect(url_for("admin.index"))


def _declare_language(response):
    """Flask-Admin's base template has a bare <html>: declare the page language."""
    if (
        response.mimetype == "text/html"
        and not response.is_streamed
        and not response.direct_passthrough
    ):
        from flask_babel import get_locale

        body = response.get_data()
        if b"<html>" in body[:400]:
            lang = str(get_locale() or "fr").encode()
            response.set_data(
                body.replace(b"<html>", b'<html lang="' + lang + b'">', 1)
            )
    return response


def register_web(app: Flask) -> None:
    """Register plain routes and template helpers."""
    app.register_blueprint(bp)
    app.after_request(_declare_language)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
