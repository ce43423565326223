"""Run the real application under waitress for the browser tests.

Started by tests/e2e/conftest.py as ``python -m tests.e2e.server``. The database
comes from DATABASE_URL (the app migrates it on start). Port 0 lets the system
pick a free port; the effective port is printed on stdout once the app is built
and the socket is listening, so the tests never race the server.
"""

from __future__ import annotations

import json
import os
import sys

import waitress

from app import create_app


def main() -> None:
    # Settings the tests share with the server (e.g. where the one-time setup
    # token lives), so that both read the same files.
    extra = json.loads(os.environ.get("CDPL_E2E_CONFIG") or "{}")
    app = create_app(extra or None)
    server = waitress.create_server(
        app, host="127.0.0.1", port=0, threads=4, ident="cdpl-gestion-e2e"
    )
    print(f"READY {server.effective_port}", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
