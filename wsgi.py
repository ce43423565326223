"""WSGI entry point: ``waitress-serve wsgi:app`` or ``gunicorn wsgi:app``."""

from app import create_app
from app.auth.setup import announce
from app.perf import ready_to_serve

app = create_app()
announce(app)  # prints the one-time setup page and token while no account exists
ready_to_serve()  # last: fewer allocator pools, start-up heap frozen
