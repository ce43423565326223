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
    #: Largest request accepted at all (above: the French 413 page). Kept above
    #: DOCUMENT_MAX_BYTES so that a file a little too large gets the message next
    #: to its field instead.
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    #: Largest file a document version may hold.
    DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
    #: Office archives (ODT, DOCX…): total unpacked size, unpacked/packed ratio
    #: and number of entries above which the upload is refused as a bomb.
    DOCUMENT_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
    DOCUMENT_MAX_RATIO = 100
    DOCUMENT_MAX_ENTRIES = 5000
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
    #: What one imported table may hold; beyond, the read stops with a French
    #: message naming the limit (app/exports/readers.py, ReadLimits).
    IMPORT_MAX_ROWS = 200_000
    IMPORT_MAX_COLUMNS = 200
    IMPORT_MAX_CELL_CHARS = 32_767
    IMPORT_MAX_CELLS = 4_000_000
    #: XLSX and ODS are ZIP archives: checked before parsing (zip bombs).
    IMPORT_MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
    IMPORT_MAX_COMPRESSION_RATIO = 100
    BACKUP_KEEP = 7
    # ----- long jobs (app/jobs/): import analysis and confirm, full dump
    #: True: the request waits for its job (tests); False: a background thread.
    JOBS_RUN_INLINE = False
    #: How long a request waits for its job before showing the progress page.
    JOBS_WAIT_SECONDS = 1.0
    #: How often a waiting worker looks whether its turn has come.
    JOBS_POLL_SECONDS = 1.0
    #: How often a running job writes its progress and its sign of life.
    JOBS_HEARTBEAT_SECONDS = 2.0
    #: A running job silent this long died with its process: marked interrupted.
    #: Above the longest write transaction measured (166 s, 100,000 updates).
    JOBS_STALE_SECONDS = 600
    #: How long a finished dump's ZIP stays downloadable (instance/jobs/).
    JOBS_FILE_MAX_AGE_SECONDS = 3600
    #: Length of a meeting without an end time in calendar files (minutes).
    CALENDAR_DEFAULT_DURATION_MINUTES = 120
    # ----- public pages and open data (app/public/opendata.py, app/opendata/)
    #: False: everything under /public/ answers 404 (the reply links stay).
    PUBLIC_PAGES_ENABLED = True
    OPENDATA_LICENCE_NAME = "etalab-2.0"
    OPENDATA_LICENCE_TITLE = "Licence Ouverte / Open Licence version 2.0"
    OPENDATA_LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    #: SIRET of the council or of its carrier, for the SCDL catalogue.
    OPENDATA_SIRET = ""
    #: Territory the data covers (SCDL COUV_SPAT_NOM).
    OPENDATA_TERRITORY = "Pays de Lorient"
    # ----- e-mail (app/mail/): with no host and sender, messages wait in the outbox
    MAIL_SMTP_HOST = ""
    MAIL_SMTP_PORT = 587
    #: "starttls" (port 587), "tls" (implicit TLS, port 465) or "none".
    MAIL_SMTP_SECURITY = "starttls"
    MAIL_SMTP_USER = ""
    MAIL_SMTP_PASSWORD = ""
    #: PEM file of extra certificate authorities for TLS (an internal server).
    MAIL_SMTP_CA_FILE = ""
    MAIL_FROM_ADDRESS = ""
    #: Display name of the sender (default: ORG_SHORT_NAME).
    MAIL_FROM_NAME = ""
    MAIL_SMTP_TIMEOUT_SECONDS = 20
    #: Messages taken per claim, and pause between two messages (rate limits).
    MAIL_BATCH_SIZE = 20
    MAIL_PAUSE_MS = 0
    #: Deliver right after the commit, in a background thread of the web process.
    MAIL_SEND_AFTER_COMMIT = True
    #: A message "envoi en cours" for longer than this is a crashed sender's.
    MAIL_STUCK_MINUTES = 15
    #: Remind the convoked who have not answered N days before (0: no reminders).
    MAIL_REMINDER_DAYS = 0
    #: Message bodies and attachments are emptied after this many months.
    MAIL_BODY_RETENTION_MONTHS = 12
    #: Permanent failures (since the last success) that flag a member's address.
    MAIL_FLAG_AFTER_FAILURES = 3
    #: Members who left more than this many years ago are anonymised by ``purge``
    #: (3 years: the CNIL's usual figure for an association's former members).
    RGPD_MEMBER_RETENTION_YEARS = 3
    #: Security log entries (logins, refusals) are deleted after this many months.
    RGPD_SECURITY_LOG_MONTHS = 12


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
    "CDPL_CALENDAR_DEFAULT_DURATION_MINUTES": "CALENDAR_DEFAULT_DURATION_MINUTES",
    "CDPL_SMTP_HOST": "MAIL_SMTP_HOST",
    "CDPL_SMTP_PORT": "MAIL_SMTP_PORT",
    "CDPL_SMTP_SECURITY": "MAIL_SMTP_SECURITY",
    "CDPL_SMTP_USER": "MAIL_SMTP_USER",
    "CDPL_SMTP_PASSWORD": "MAIL_SMTP_PASSWORD",
    "CDPL_SMTP_CA_FILE": "MAIL_SMTP_CA_FILE",
    "CDPL_SMTP_TIMEOUT_SECONDS": "MAIL_SMTP_TIMEOUT_SECONDS",
    "CDPL_MAIL_FROM": "MAIL_FROM_ADDRESS",
    "CDPL_MAIL_FROM_NAME": "MAIL_FROM_NAME",
    "CDPL_MAIL_BATCH_SIZE": "MAIL_BATCH_SIZE",
    "CDPL_MAIL_PAUSE_MS": "MAIL_PAUSE_MS",
    "CDPL_MAIL_SEND_AFTER_COMMIT": "MAIL_SEND_AFTER_COMMIT",
    "CDPL_MAIL_STUCK_MINUTES": "MAIL_STUCK_MINUTES",
    "CDPL_MAIL_REMINDER_DAYS": "MAIL_REMINDER_DAYS",
    "CDPL_MAIL_BODY_RETENTION_MONTHS": "MAIL_BODY_RETENTION_MONTHS",
    "CDPL_MAIL_FLAG_AFTER_FAILURES": "MAIL_FLAG_AFTER_FAILURES",
    "CDPL_PUBLIC_PAGES_ENABLED": "PUBLIC_PAGES_ENABLED",
    "CDPL_OPENDATA_LICENCE_NAME": "OPENDATA_LICENCE_NAME",
    "CDPL_OPENDATA_LICENCE_TITLE": "OPENDATA_LICENCE_TITLE",
    "CDPL_OPENDATA_LICENCE_URL": "OPENDATA_LICENCE_URL",
    "CDPL_OPENDATA_SIRET": "OPENDATA_SIRET",
    "CDPL_OPENDATA_TERRITORY": "OPENDATA_TERRITORY",
    "CDPL_RGPD_MEMBER_RETENTION_YEARS": "RGPD_MEMBER_RETENTION_YEARS",
    "CDPL_RGPD_SECURITY_LOG_MONTHS": "RGPD_SECURITY_LOG_MONTHS",
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
