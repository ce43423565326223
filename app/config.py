"""Configuration defaults and loading order: defaults, instance/config.py, environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: Values that must never be used as a production SECRET_KEY.
PLACEHOLDER_KEYS = {"", "change-me", "changeme", "secret", "dev", "development", "xxx"}
MIN_SECRET_KEY_LENGTH = 32


class Defaults:
    """Settings used when neither instance/config.py nor the environment says otherwise."""

    ORG_NAME = "Conseil de développement du Pays de Lorient"
    ORG_SHORT_NAME = "CDPL"
    ORG_ADDRESS = "6 rue Alphonse Rio, 56100 Lorient"
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr",)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: Migrate the database to the latest revision when the app starts.
    AUTO_MIGRATE = True
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: True forces the Secure flag; otherwise it follows the request (HTTPS or not).
    SESSION_COOKIE_SECURE = False
    SESSION_IDLE_TIMEOUT_MINUTES = 30
    SESSION_ABSOLUTE_LIFETIME_HOURS = 12
    WTF_CSRF_TIME_LIMIT = None
    LOGIN_MAX_FAILURES = 5
    #: Failures from one address (any account) before its attempts are refused.
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
    #: Number of reverse proxies in front of the app (0: none, use ProxyFix if >0).
    TRUSTED_PROXIES = 0
    #: Where the one-time setup token is kept (default: instance/setup_token).
    SETUP_TOKEN_PATH = None
    #: Address people open (``https://cdpl.example.org``); used in messages printed
    #: by a WSGI server, which does not know where it is reached.
    PUBLIC_URL = ""
    EXPORT_STREAM_BATCH = 2000
    IMPORT_MAX_BYTES = 10 * 1024 * 1024
    BACKUP_KEEP = 7


ENV_KEYS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "CDPL_ORG_NAME": "ORG_NAME",
    "CDPL_ORG_SHORT_NAME": "ORG_SHORT_NAME",
    "CDPL_ORG_ADDRESS": "ORG_ADDRESS",
    "CDPL_AUTO_MIGRATE": "AUTO_MIGRATE",
    "CDPL_SESSION_IDLE_TIMEOUT_MINUTES": "SESSION_IDLE_TIMEOUT_MINUTES",
    "CDPL_SESSION_ABSOLUTE_LIFETIME_HOURS": "SESSION_ABSOLUTE_LIFETIME_HOURS",
    "CDPL_ENV": "CDPL_ENV",
    "CDPL_TRUSTED_PROXIES": "TRUSTED_PROXIES",
    "CDPL_SESSION_COOKIE_SECURE": "SESSION_COOKIE_SECURE",
    "CDPL_PUBLIC_URL": "PUBLIC_URL",
}


def _coerce(current, raw: str):
    """Convert an environment string to the type of the default it replaces."""
    if isinstance(current, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on", "oui"}
    if isinstance(current, int):
        return int(raw)
    return raw


def apply_environment(config) -> None:
    """Override configuration from environment variables (highest priority)."""
    for env_name, key in ENV_KEYS.items():
        raw = os.environ.get(env_name)
        if raw is not None and raw != "":
            config[key] = _coerce(config.get(key), raw)


def normalise_database_url(url: str) -> str:
    """Make ``postgres://`` and ``postgresql://`` URLs use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def local_secret_key(instance_path: str) -> str:
    """Return the key kept in instance/secret_key, creating it once (local use)."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= MIN_SECRET_KEY_LENGTH:
            return key
    key = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


def secret_key_problem(key: str | None) -> str | None:
    """Return a French explanation if ``key`` is unfit for production, else None."""
    if not key:
        return "SECRET_KEY est absente."
    if key.strip().lower() in PLACEHOLDER_KEYS:
        return "SECRET_KEY est une valeur d'exemple."
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"SECRET_KEY doit compter au moins {MIN_SECRET_KEY_LENGTH} caractères."
    return None
