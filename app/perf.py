"""Performance helpers: the start-up heap frozen out of the collector, and an
opt-in SQL query counter (an ``X-Query-Count`` header on every response).

Used by the benchmark (``bench/run.py``) to count queries server-side. Off by
default: nothing is registered unless ``COUNT_QUERIES`` is true in the
configuration or ``CDPL_COUNT_QUERIES=1`` is in the environment, so it costs
nothing in normal use.
"""

from __future__ import annotations

import gc
import os

import sqlalchemy as sa
from flask import Flask, g, has_app_context

from app.extensions import db

HEADER = "X-Query-Count"


def freeze_startup_heap() -> None:
    """Move every object alive after start-up out of the garbage collector's reach.

    Call it once the app is built, before serving (``wsgi.py``, ``serve``). The
    ~150,000 objects of the loaded modules, models and admin views never
    become garbage, yet a full collection walks them all: about 90 ms, paid by
    whichever request triggers it (the p99 of one client). Frozen, they are
    skipped; with a pre-forking server they also stay shared between workers
    (the collector does not write to them).
    """
    gc.collect()
    gc.freeze()


def enabled(app: Flask) -> bool:
    configured = app.config.get("COUNT_QUERIES")
    if configured is None:
        return os.environ.get("CDPL_COUNT_QUERIES", "") in {"1", "true", "yes"}
    return bool(configured)


def _count(conn, cursor, statement, parameters, context, executemany) -> None:
    if has_app_context():
        g._cdpl_query_count = g.get("_cdpl_query_count", 0) + 1


def _add_header(response):
    response.headers[HEADER] = str(g.get("_cdpl_query_count", 0))
    return response


def init_perf(app: Flask) -> None:
    """Count SQL statements per request when enabled (see module docstring)."""
    if not enabled(app):
        return
    with app.app_context():
        for engine in db.engines.values():
            if not sa.event.contains(engine, "before_cursor_execute", _count):
                sa.event.listen(engine, "before_cursor_execute", _count)
    app.after_request(_add_header)
