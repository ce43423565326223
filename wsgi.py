"""WSGI entry point: ``waitress-serve wsgi:app`` or ``gunicorn wsgi:app``."""

from app import create_app
from app.auth.setup import announce
from app.perf import freeze_startup_heap

app = create_app()
announce(app)  # prints the one-time setup page and token while no account exists
freeze_startup_heap()  # last: the start-up heap is never collected again
