"""cdpl-gestion: the data tool of a conseil de développement.

``create_app`` is the top of the layers (see docs/architecture.md): it wires the
screens, which use the domain services, which use the models.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from app.admin import init_admin
from app.auth import init_auth
from app.cli import register_cli
from app.config import (
    Defaults,
    apply_environment,
    local_secret_key,
    normalise_database_url,
    secret_key_problem,
)
from app.db import (
    auto_migrate,
    default_sqlite_uri,
    init_dialect,
    init_transactions,
    upgrade_if_needed,
)
from app.extensions import babel, csrf
from app.extensions import db as database
from app.history import init_history
from app.mail import init_mail
from app.opendata import init_opendata
from app.perf import init_perf
from app.search import init_search
from app.web import register_web

#: Environment variable naming the instance folder (database, secret key, backups).
INSTANCE_ENV = "CDPL_INSTANCE_PATH"


class ConfigurationError(RuntimeError):
    """Raised when the app must not start with the configuration it was given."""


def _configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    apply_environment(app.config)
    if test_config:
        app.config.update(test_config)

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


def create_app(
    test_config: dict[str, Any] | None = None, *, migrate_database: bool = True
) -> Flask:
    """Build the application: configuration, extensions, screens, commands.

    ``migrate_database=False`` (the command line) leaves the database untouched:
    ``--help`` must not create or migrate it; the commands that use it migrate
    it themselves (``app.cli.base.with_database``).
    """
    instance = os.environ.get(INSTANCE_ENV)
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=str(Path(instance).resolve()) if instance else None,
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure(app, test_config)
    if not app.logger.handlers or app.config.get("PRODUCTION"):
        logging.basicConfig(level=logging.INFO)

    database.init_app(app)
    init_dialect(app)
    init_transactions(app)
    init_history(app)
    init_mail(app)
    init_search(app)
    init_opendata(app)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        default_translation_directories=str(
            Path(__file__).resolve().parent / "translations"
        ),
    )
    csrf.init_app(app)
    init_auth(app)
    register_web(app)
    init_admin(app)
    init_perf(app)
    register_cli(app)

    if migrate_database and auto_migrate(app):
        upgrade_if_needed(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind a reverse proxy: trust its X-Forwarded-For/-Proto so the client
        # address (throttling, log) and HTTPS (Secure cookie, HSTS) are right.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app


def _select_locale() -> str:
    """Always French: the staff work in French, and an English switch that could
    translate only Flask-Admin's own buttons left pages half in each language
    (issue 14). Browsers' language is ignored so every screen reads the same.
    """
    return current_app.config["BABEL_DEFAULT_LOCALE"]
