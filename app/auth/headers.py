"""Security headers on every response, and French error pages."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.auth.events import record
from app.extensions import db
from app.models.accounts import SecurityEventKind

log = logging.getLogger(__name__)


def csp_nonce() -> str:
    """A random nonce for this request's inline scripts and styles."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


ERROR_TEXTS = {
    400: ("Requête invalide", "La requête n'a pas pu être comprise."),
    403: (
        "Accès refusé",
        "Votre compte ne permet pas cette opération. Rien n'a été modifié.",
    ),
    404: ("Page introuvable", "Cette page ou cette fiche n'existe pas (ou plus)."),
    405: ("Méthode non permise", "Cette adresse ne s'utilise pas ainsi."),
    413: ("Envoi trop volumineux", "Le fichier ou le formulaire envoyé est trop gros."),
    429: ("Trop de requêtes", "Trop de tentatives : réessayez dans quelques minutes."),
    500: (
        "Erreur interne",
        "Une erreur inattendue s'est produite ; elle a été consignée. "
        "Réessayez ou prévenez l'administrateur.",
    ),
}
CSRF_TEXT = (
    "Formulaire expiré",
    "Le jeton de sécurité du formulaire manque ou a expiré : rechargez la page "
    "et recommencez. Rien n'a été modifié.",
)


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            # Flask-Admin's templates and widgets (select2, x-editable) set a few
            # style="" attributes; attributes cannot run code.
            "style-src-attr 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def set_security_headers(response):
    headers = response.headers
    # A download carries its own stricter policy ("sandbox": nothing runs).
    if "sandbox" not in headers.get("Content-Security-Policy", ""):
        headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    # A view may ask for a stricter policy (calendar feeds carry a secret token).
    if headers.get("Referrer-Policy") != "no-referrer":
        headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    endpoint = request.endpoint or ""
    # A view may allow the client alone to keep a copy ("private", as the
    # calendar feeds do so that calendar apps do not refetch every minute), or
    # anyone ("public": the /public/ pages, which hold no personal data).
    cache = headers.get("Cache-Control") or ""
    keep = "private" in cache or ("public" in cache and endpoint.startswith("public."))
    if not endpoint.endswith("static") and not keep:
        # Pages and exports hold personal data: never kept by browsers or proxies.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def _render_error(code: int, title: str, message: str):
    return render_template("errors/error.html", title=title, message=message), code


def handle_http_error(exc: HTTPException):
    code = exc.code or 500
    if code == 403:
        _log_denied()
    title, message = ERROR_TEXTS.get(code, (exc.name, "La requête n'a pas abouti."))
    response = exc.get_response()
    if code < 400 or response.status_code in (301, 302, 303, 307, 308):
        return exc
    body, status = _render_error(code, title, message)
    return (
        body,
        status,
        {k: v for k, v in response.headers.items() if k in ("Allow", "Retry-After")},
    )


def handle_csrf_error(exc: CSRFError):
    log.warning(
        "CSRF refusal on %s %s: %s", request.method, request.path, exc.description
    )
    return _render_error(400, *CSRF_TEXT)


def handle_unexpected(exc: Exception):
    # The details go to the log only; the page shows no exception text.
    log.exception("Unhandled error on %s %s", request.method, request.path)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the error page must still render
        log.exception("Rollback after error failed")
    return _render_error(500, *ERROR_TEXTS[500])


def _log_denied() -> None:
    if getattr(request, "_cdpl_denied_logged", False):
        return
    request._cdpl_denied_logged = True
    try:
        user = current_user if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001
        user = None
    record(
        SecurityEventKind.access_denied,
        user=user,
        detail=f"{request.method} {request.path}",
    )


def register_error_pages(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
