"""Serve the app under waitress for the benchmark.

    python -m bench.server URL PORT [WORKERS]

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
import signal
import socket
import sys

import waitress

from app import create_app
from app import db as app_db
from app.extensions import db
from app.perf import ready_to_serve
from bench.dataset import app_config

THREADS = 4


def _serve(url: str, migrate: bool, **where) -> None:
    if os.environ.get("BENCH_IMMEDIATE_READS"):
        # The behaviour before issue 21, for a side-by-side comparison
        # (bench/concurrency.py compare): every transaction takes the lock.
        app_db.request_only_reads = lambda: False
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
