"""Serve the app under waitress for the benchmark, and start it for a bench.

    python -m bench.server URL PORT [WORKERS]

A bench measuring over HTTP runs ``with serving(url, env, log) as (server,
session, auth)``: this module in a subprocess, waited for, logged in, stopped
at the end. A bench measuring through the test client runs ``with
scratch_app(args.db, name) as app`` (an empty database of its own) and
``staff_client(app, email)`` (an account, logged in).

One worker: one waitress process with 4 threads, as ``cdpl-gestion serve``.
Several: the database is migrated once, then WORKERS processes are forked,
each building its own app and serving the same listening socket with waitress
(4 threads each), as a pre-forking server (gunicorn) would. Each process
tunes itself (``app.perf.ready_to_serve``) like the real entry points.
The query counter (app/perf.py) is switched on through CDPL_COUNT_QUERIES=1,
which bench/run.py puts in this process's environment.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import waitress

from app import create_app
from app import db as app_db
from app import perf as app_perf
from app.auth.passwords import hash_password
from app.config import normalise_database_url
from app.extensions import db
from app.models import Role, User
from app.perf import ready_to_serve
from bench.auth import login
from bench.client import Session
from bench.dataset import BENCH_SECRET, ROOT, app_config, reset_database
from bench.measure import free_port

THREADS = 4
#: Password of the accounts ``staff_client`` creates.
PASSWORD = "une phrase de passe pour le banc 2026"


def server_env(url: str, count_queries: bool = True) -> dict:
    """The environment of a bench server on ``url`` (``count_queries``: the
    ``X-Query-Count`` header of app/perf.py)."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": BENCH_SECRET,
            "BENCH_URL": url,
            "PYTHONPATH": str(ROOT),
        }
    )
    if count_queries:
        env["CDPL_COUNT_QUERIES"] = "1"
    return env


def wait_until_answering(
    server: subprocess.Popen, port: int, path: str = "/admin/", seconds: float = 60
) -> None:
    """Return once the server on ``port`` answers ``path``; RuntimeError (French)
    if it stopped or took longer than ``seconds``."""
    probe = Session("127.0.0.1", port)
    deadline = time.time() + seconds
    try:
        while True:
            try:
                probe.get(path, follow=False)
                return
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("le serveur n'a pas démarré") from None
                time.sleep(0.2)
    finally:
        probe.close()


@contextmanager
def serving(
    url: str, env: dict, log: Path
) -> Iterator[tuple[subprocess.Popen, Session, str]]:
    """This module serving ``url`` in a subprocess (its errors in ``log``),
    answering and logged in: (the process, the session, what login did)."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.server", url, str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log, "w"),  # noqa: SIM115 (the server's, closed with it)
    )
    session = Session("127.0.0.1", port)
    try:
        wait_until_answering(server, port)
        auth = login(session, env)
        yield server, session, auth
    finally:
        session.close()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@contextmanager
def scratch_app(db_url: str, name: str, **config) -> Iterator:
    """The app on an empty database of its own: ``db_url`` (PostgreSQL, its
    schema dropped first: never real data) or a SQLite file in a temporary
    folder, removed at the end with the setup token the app may write there."""
    folder = tempfile.mkdtemp(prefix=f"bench-{name}-")
    try:
        url = normalise_database_url(db_url) or f"sqlite:///{folder}/{name}.sqlite3"
        if db_url:
            reset_database(url)
        app = create_app(
            app_config(
                url,
                WTF_CSRF_ENABLED=False,
                SERVER_NAME="localhost",
                SETUP_TOKEN_PATH=f"{folder}/setup_token",
                **config,
            )
        )
        yield app
        with app.app_context():
            db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def staff_client(app, email: str, role: Role = Role.editor):
    """A test client logged in with a new account of ``role``."""
    with app.app_context():
        db.session.add(
            User(
                email=email,
                role=role,
                active=True,
                password_hash=hash_password(PASSWORD),
            )
        )
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    response = client.post("/connexion", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def _serve(url: str, migrate: bool, **where) -> None:
    if os.environ.get("BENCH_IMMEDIATE_READS"):
        # The behaviour before issue 21, for a side-by-side comparison
        # (bench/concurrency.py compare): every transaction takes the lock.
        app_db.request_only_reads = lambda: False
    if os.environ.get("BENCH_NO_WARM_FREEZE"):
        # Only the start-up heap frozen, as before, for a side-by-side
        # comparison (bench/tail.py).
        app_perf.WARM_FREEZES = frozenset()
    if os.environ.get("BENCH_COLLECTOR_TIMING"):
        # As before (bench/tail.py): collections when the collector's
        # thresholds say, none as each request starts, five warm freezes.
        app_perf.COLLECT_BEFORE_EVERY_REQUEST = False
        app_perf.WARM_FREEZES = frozenset({100, 300, 1_000, 3_000, 10_000})
    app = create_app(app_config(url, AUTO_MIGRATE=migrate))
    ready_to_serve()
    waitress.serve(
        app,
        threads=THREADS,
        channel_timeout=900,
        ident="cdpl-gestion",
        _quiet=True,
        **where,
    )


def main() -> None:
    url, port = sys.argv[1], int(sys.argv[2])
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    if workers == 1:
        _serve(url, True, host="127.0.0.1", port=port)
        return
    app = create_app(app_config(url, AUTO_MIGRATE=True))
    with app.app_context():
        db.engine.dispose()  # no pooled connection crosses a fork
    sock = socket.create_server(("127.0.0.1", port), backlog=1024)
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _serve(url, False, sockets=[sock])
            os._exit(0)
        children.append(pid)

    def stop(*_args):
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    for child in children:
        try:
            os.waitpid(child, 0)
        except ChildProcessError:
            pass


if __name__ == "__main__":
    main()
