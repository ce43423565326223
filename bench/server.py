"""Serve the app under waitress for the benchmark: ``python -m bench.server URL PORT``.

The query counter (app/perf.py) is switched on through CDPL_COUNT_QUERIES=1,
which bench/run.py puts in this process's environment.
"""

from __future__ import annotations

import sys

import waitress

from app import create_app
from bench.dataset import app_config


def main() -> None:
    url, port = sys.argv[1], int(sys.argv[2])
    app = create_app(app_config(url, AUTO_MIGRATE=True))
    waitress.serve(
        app,
        host="127.0.0.1",
        port=port,
        threads=4,
        channel_timeout=900,
        ident="cdpl-gestion",
        _quiet=True,
    )


if __name__ == "__main__":
    main()
