"""cdpl-gestion: the data tool of a conseil de développement."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from app.config import (
    Defaults,
    apply_environment,
    local_secret_key,
    normalise_database_url,
    secret_key_problem,
)


class ConfigurationError(RuntimeError):
    """Raised when the app must not start with the configuration it was given."""


def _configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    apply_environment(app.config)
    if test_config:
        app.config.update(test_config)

    from app.db import default_sqlite_uri

    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or default_sqlite_uri(
        app.instance_path
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(uri)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        opts.setdefault("pool_pre_ping", True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts

    production = app.config.get("CDPL_ENV", "local") == "production"
    app.config["PRODUCTION"] = production
    if production:
        problem = secret_key_problem(app.config.get("SECRET_KEY"))
        if problem:
            raise ConfigurationError(
                f"Démarrage refusé : {problem} En production, définissez une "
                "SECRET_KEY aléatoire d'au moins 32 caractères, par exemple : "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        app.config["DEBUG"] = False
        app.debug = False
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = local_secret_key(app.instance_path)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, admin screens, commands."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure(app, test_config)
    if not app.logger.handlers or app.config.get("PRODUCTION"):
        logging.basicConfig(level=logging.INFO)

    from app import db as _db_setup  # noqa: F401  (registers engine events)
    from app.extensions import babel, csrf, db, migrate

    db.init_app(app)
    from app.history import init_history

    init_history(app)
    from app.db import MIGRATIONS_DIR

    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        default_translation_directories=str(
            Path(__file__).resolve().parent / "translations"
        ),
    )
    csrf.init_app(app)

    from app.auth import init_auth

    init_auth(app)

    from app.web import register_web

    register_web(app)

    from app.admin import init_admin

    init_admin(app)

    from app.perf import init_perf

    init_perf(app)

    from app.cli import register_cli

    register_cli(app)

    if app.config.get("AUTO_MIGRATE") and not os.environ.get("CDPL_SKIP_MIGRATE"):
        from app.db import upgrade_if_needed

        upgrade_if_needed(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind a reverse proxy: trust its X-Forwarded-For/-Proto so the client
        # address (throttling, log) and HTTPS (Secure cookie, HSTS) are right.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app


def _select_locale() -> str:
    """French unless the person chose English (session); browsers' language is ignored
    so that every staff member sees the same French screens by default."""
    from flask import current_app, session

    chosen = session.get("lang") if session else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
