"""Browser tests: the real app under waitress, driven by Debian's Chromium.

- The server runs in a subprocess (``python -m tests.e2e.server``) on 127.0.0.1
  with a port chosen by the system, against its own database: a temporary SQLite
  file, or, when DATABASE_URL names a PostgreSQL database ``X``, a database
  ``X_e2e`` created for the run (the main suite keeps ``X`` to itself).
- Each test starts from empty tables (``e2e_db``) or from the demo data loaded
  for its module (``demo_db``); the test process reads and seeds the same
  database through an app of its own, to assert what the journeys stored.
- On failure, a screenshot and the page HTML go to ``test-artifacts/e2e/``.
- Without Chromium the tests are skipped with the reason; with ``CI=true`` a
  missing browser is an error instead.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.helpers import ARTIFACTS, accounts_enabled, save_evidence, sign_in

CHROMIUM = os.environ.get("CDPL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
IN_CI = os.environ.get("CI", "").strip().lower() == "true"
ROOT = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT = 90
#: Playwright's wait for an element or a navigation; short so a broken journey
#: fails quickly instead of hanging the suite.
ACTION_TIMEOUT_MS = 10_000

_REPORTS = pytest.StashKey[dict]()


def browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright n'est pas installé (pip install -e '.[test]')."
    if not Path(CHROMIUM).exists():
        return (
            f"Chromium est absent ({CHROMIUM}) : lancez .ci/install-browser "
            "ou définissez CDPL_CHROMIUM."
        )
    return None


def pytest_report_header(config) -> str:
    problem = browser_problem()
    if problem is None:
        return f"e2e: navigateur {CHROMIUM}"
    if IN_CI:
        return f"e2e: ÉCHEC (CI) — {problem}"
    return f"e2e: tests navigateur ignorés — {problem}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can see failures."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


# ----------------------------------------------------------------- database
def _pg_e2e_url(base: str) -> sa.engine.URL:
    from app.config import normalise_database_url

    url = sa.engine.make_url(normalise_database_url(base))
    return url.set(database=f"{url.database}_e2e")


def _pg_admin_engine(url: sa.engine.URL) -> sa.engine.Engine:
    return sa.create_engine(
        url.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.NullPool,
    )


def _recreate_pg_database(url: sa.engine.URL, drop_only: bool = False) -> None:
    engine = _pg_admin_engine(url)
    name = url.database.replace('"', '""')
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not drop_only:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory) -> Iterator[str]:
    """A fresh database for the browser tests (never the main suite's)."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql")):
        url = _pg_e2e_url(base)
        _recreate_pg_database(url)
        yield url.render_as_string(hide_password=False)
        _recreate_pg_database(url, drop_only=True)
    else:
        path = tmp_path_factory.mktemp("e2e") / "e2e.sqlite3"
        yield f"sqlite:///{path}"


# ------------------------------------------------------------------- server
def _wait_ready(proc: subprocess.Popen, out_path: Path, log_path: Path) -> int:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        match = re.search(r"READY (\d+)", out_path.read_text(encoding="utf-8"))
        if match:
            return int(match.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    log = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
    raise RuntimeError(f"Le serveur de test n'a pas démarré :\n{log}")


@pytest.fixture(scope="session")
def e2e_config(tmp_path_factory) -> dict:
    """Settings given to both the server and the test process's app."""
    files = tmp_path_factory.mktemp("e2e-files")
    return {
        "SETUP_TOKEN_PATH": str(files / "setup_token"),
        # Every job shows its progress page (app/jobs/): the tests follow it
        # as a person would, whatever the machine's speed.
        "JOBS_WAIT_SECONDS": 0,
    }


@pytest.fixture(scope="session")
def live_server(e2e_database_url, e2e_config, tmp_path_factory) -> Iterator[str]:
    """Base URL of the app served by waitress in a subprocess."""
    problem = browser_problem()
    if problem and IN_CI:
        pytest.fail(problem)
    if problem:
        # No point starting a server nobody will browse.
        pytest.skip(problem)
    workdir = tmp_path_factory.mktemp("e2e-server")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out_path = workdir / "stdout.txt"
    log_path = ARTIFACTS / "server.log"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=e2e_database_url,
        SECRET_KEY="e2e-secret-key-" + "k" * 40,
        CDPL_ENV="local",
        CDPL_AUTO_MIGRATE="1",
        PYTHONUNBUFFERED="1",
        CDPL_E2E_CONFIG=json.dumps(e2e_config),
    )
    env.pop("CDPL_SKIP_MIGRATE", None)
    with open(out_path, "w") as out, open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.server"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
    try:
        port = _wait_ready(proc, out_path, log_path)
        base_url = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(base_url + "/admin/", timeout=30) as response:
            assert response.status == 200
        yield base_url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class AppDatabase:
    """The e2e database seen from the test process, through an app of its own."""

    def __init__(self, app) -> None:
        self.app = app
        #: Bumped when the tables are emptied: sessions saved before are gone.
        self.generation = 0

    @contextmanager
    def session(self):
        """A session for seeding or checking; closed on exit so the server never waits."""
        from app.extensions import db

        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.rollback()
                db.session.remove()

    def truncate(self) -> None:
        from app.extensions import db

        self.generation += 1

        with self.app.app_context():
            tables = list(reversed(db.metadata.sorted_tables))
            with db.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    names = ", ".join(f'"{t.name}"' for t in tables)
                    conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                else:
                    for table in tables:
                        conn.execute(table.delete())

    def has_endpoint(self, *names: str) -> bool:
        """True when one of the endpoints exists in the served app's URL map."""
        endpoints = {rule.endpoint for rule in self.app.url_map.iter_rules()}
        return any(name in endpoints for name in names)

    def endpoint_for(self, pattern: str) -> str | None:
        """First endpoint whose URL rule matches a regular expression."""
        regex = re.compile(pattern)
        for rule in self.app.url_map.iter_rules():
            if regex.search(rule.rule):
                return rule.endpoint
        return None

    def rules_matching(self, pattern: str) -> list[str]:
        """URL rules (endpoint or path) matching a regular expression."""
        regex = re.compile(pattern)
        return [
            rule.rule
            for rule in self.app.url_map.iter_rules()
            if regex.search(rule.endpoint) or regex.search(rule.rule)
        ]


@pytest.fixture(scope="session")
def e2e_app(live_server, e2e_database_url, e2e_config):
    """The app in the test process, on the server's (already migrated) database."""
    from app import create_app
    from app.extensions import db

    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "e2e-secret-key-" + "k" * 40,
            "SQLALCHEMY_DATABASE_URI": e2e_database_url,
            "AUTO_MIGRATE": False,
            **e2e_config,
        }
    )
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def e2e_store(e2e_app) -> AppDatabase:
    return AppDatabase(e2e_app)


@pytest.fixture
def e2e_db(e2e_store) -> AppDatabase:
    """Empty tables at the start of the test."""
    e2e_store.truncate()
    return e2e_store


@pytest.fixture(scope="module")
def demo_db(e2e_store) -> AppDatabase:
    """The demo data (meeting of 16 April 2019), loaded once for a whole module."""
    from app.demo import load_demo

    e2e_store.truncate()
    with e2e_store.session() as session:
        load_demo()
        session.commit()
    return e2e_store


# ------------------------------------------------------------------ browser
@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


#: Cookies of a signed-in tab, per (role, data generation).
_SIGNED_IN: dict[tuple[str, int], dict] = {}


@pytest.fixture
def open_tab(request, browser, live_server, e2e_store):
    """Factory of browser tabs: ``open_tab()`` signed in as an administrator
    (once accounts exist), ``open_tab("reader")``, or ``open_tab(None)``
    for a visitor who is not logged in.

    Every tab speaks French, refuses requests to other hosts (no page may
    contact a third-party server) and leaves a screenshot and its HTML under
    test-artifacts/e2e/ when the test fails.
    """
    # The test's data fixtures empty the tables: let them run before anyone
    # logs in, or the new session would be wiped with them.
    for name in ("e2e_db", "demo_db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
    contexts = []
    foreign: list[str] = []

    def refuse(route) -> None:
        foreign.append(route.request.url)
        route.abort()

    def make(role: str | None = "admin"):
        signed_in = role and accounts_enabled(e2e_store)
        saved = _SIGNED_IN.get((role, e2e_store.generation)) if signed_in else None
        context = browser.new_context(
            storage_state=saved,
            base_url=live_server,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.route(
            re.compile(r"^(?!" + re.escape(live_server) + r"/)(https?|wss?)://"),
            refuse,
        )
        tab = context.new_page()
        contexts.append((context, tab))
        if signed_in and saved is None:
            sign_in(tab, e2e_store, role)
            # Reuse the login while the data (and so the session) lasts.
            _SIGNED_IN[(role, e2e_store.generation)] = context.storage_state()
        return tab

    try:
        yield make
        if not _failed(request.node):
            assert not foreign, f"Requêtes vers un hôte tiers : {foreign}"
    finally:
        for index, (context, tab) in enumerate(contexts):
            if _failed(request.node):
                suffix = f"-{index}" if index else ""
                save_evidence(tab, request.node.nodeid + suffix)
            context.close()


def _failed(item) -> bool:
    return any(r.failed for r in item.stash.get(_REPORTS, {}).values())


@pytest.fixture
def page(open_tab):
    """A browser tab signed in as an administrator (once accounts exist)."""
    return open_tab()


@pytest.fixture
def visitor_page(open_tab):
    """A browser tab of someone who is not logged in."""
    return open_tab(None)
