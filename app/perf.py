"""Performance helpers: the start-up heap, then the warm heap, frozen out of
the collector, the young generations collected before each request of a
serving process, memory given back after large exports, and an opt-in SQL
query counter (an ``X-Query-Count`` header on every response).

The query counter is used by the benchmark (``bench/run.py``) to count queries
server-side. Off by default: nothing is registered for it unless
``COUNT_QUERIES`` is true in the configuration or ``CDPL_COUNT_QUERIES=1`` is
in the environment, so it costs nothing in normal use.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import itertools
import os
import threading

import sqlalchemy as sa
from flask import Flask, g, has_app_context

from app.extensions import db

HEADER = "X-Query-Count"


_libc: ctypes.CDLL | None | bool = False  # False: not looked up yet
#: glibc's mallopt() parameter for the number of allocator pools (arenas).
_M_ARENA_MAX = -8
#: Two pools: Python's lock lets one thread at a time allocate anyway, while
#: glibc's default (8 per core) gave each server thread a pool of its own that
#: kept the memory of the last large export it served.
MALLOC_ARENAS = 2
#: mallopt() parameters: size from which a block gets pages of its own
#: (M_MMAP_THRESHOLD), free space at the top of a pool given back (M_TRIM_THRESHOLD).
_M_MMAP_THRESHOLD = -3
_M_TRIM_THRESHOLD = -1
#: Both fixed at glibc's starting value, 128 KiB. Left alone, glibc raises them
#: (up to 32 and 64 MiB) as soon as a large block is freed; the large blocks
#: freed afterwards then stay in their pool: after exports, the pool of the
#: main thread (where waitress sends the responses) kept ~15 MB every other
#: export (132 MB after 6 exports of the 400,000 attendance rows, 98 MB with
#: the thresholds fixed).
MALLOC_THRESHOLD = 128 * 1024

#: The requests (counted from start-up) before which a serving process
#: collects its whole heap once more and freezes it (``freeze_warm_heap``).
#: The first requests fill caches that live as long as the process: compiled
#: SQL statements, templates, Babel's locale data, the modules a page imports
#: where it is used (~43,000 objects after the bench's 85 list pages at 100×).
#: Left in the collector, every full collection walks them again: 16 ms
#: median, up to 66 ms, about once every 75 requests, the slowest of a list's
#: 20 requests in the bench. Frozen at these counts, the pause fell to 9 ms median, 16 ms at most. A dozen steps, denser
#: at first, when the caches grow fastest: what a frozen object held when it
#: dies in a reference cycle is never given back, so the process must not
#: freeze after every collection (measured: +32 MB over 1,500 requests), only
#: a bounded number of times. With these twelve and the young generations
#: collected before each request, a server held 133 MB after the 2,332
#: requests of ``bench.tail``, on SQLite as on PostgreSQL, against 139 to 141
#: MB with five (100 to 10,000) and no such collection.
WARM_FREEZES = frozenset(
    {50, 100, 200, 300, 500, 700, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000}
)

#: A serving process collects its young objects as each request starts
#: (``CollectBeforeRequest``); off only for the bench's side-by-side
#: comparison with the collector's own timing (``bench/tail.py``).
COLLECT_BEFORE_EVERY_REQUEST = True
#: Requests being answered (``CollectBeforeRequest`` collects when none is).
_in_flight = 0
_in_flight_lock = threading.Lock()

#: Set by ``ready_to_serve``: tests and commands never pay for a collection.
_serving = False
_served = itertools.count(1)


def _c_library():
    global _libc
    if _libc is False:
        name = ctypes.util.find_library("c")
        try:
            _libc = ctypes.CDLL(name) if name else None
        except OSError:
            _libc = None
    return _libc


def limit_malloc_arenas() -> bool:
    """Cap the C allocator's pools (glibc); True when the C library took it.

    To call before the server starts its threads. MALLOC_ARENA_MAX in the
    environment, when set, wins (glibc reads it first).
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    mallopt = getattr(_c_library(), "mallopt", None)
    return bool(mallopt is not None and mallopt(_M_ARENA_MAX, MALLOC_ARENAS))


def fix_malloc_thresholds() -> bool:
    """Keep glibc's thresholds for large blocks fixed; True when it took them.

    Large blocks (from 128 KiB) then always get pages of their own, returned
    to the system when freed, whichever thread frees them and whenever (a
    download's buffers are freed once the last byte is sent, after the
    export's ``release_memory``). MALLOC_MMAP_THRESHOLD_ or
    MALLOC_TRIM_THRESHOLD_ in the environment, when set, win.
    """
    if {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"} & set(os.environ):
        return False
    mallopt = getattr(_c_library(), "mallopt", None)
    if mallopt is None:
        return False
    mmap = mallopt(_M_MMAP_THRESHOLD, MALLOC_THRESHOLD)
    trim = mallopt(_M_TRIM_THRESHOLD, MALLOC_THRESHOLD)
    return bool(mmap and trim)


def ready_to_serve() -> None:
    """Tune the process once the app is built, before serving (``wsgi.py``,
    ``serve``): fewer allocator pools, fixed thresholds for large blocks,
    start-up heap frozen, then the young generations collected before each
    request and the warm heap frozen (``CollectBeforeRequest``)."""
    global _serving
    limit_malloc_arenas()
    fix_malloc_thresholds()
    freeze_startup_heap()
    _serving = True


def release_memory() -> None:
    """Give the memory a large export freed back to the system.

    The C allocator keeps freed blocks for reuse, one pool per server thread:
    after an export of 400,000 rows by each thread in turn, the process kept
    ~25 MB per export. ``malloc_trim`` (glibc) returns the free pages at once;
    elsewhere (musl, macOS) this does nothing.
    """
    trim = getattr(_c_library(), "malloc_trim", None)
    if trim is not None:
        trim(0)


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


class CollectBeforeRequest:
    """A serving process collects its two young generations as a request
    comes in, before Flask makes its contexts, when no other request is being
    answered (a WSGI middleware around ``app.wsgi_app``, from ``init_perf``).

    The previous requests are over by then, their sessions closed; what is
    left in the young generations is their cyclic garbage (SQLAlchemy states,
    Jinja contexts: about 950 objects on a list page) and what the caches
    gained, a walk of 0.13 ms (median over the bench's lists in process, 0.6 ms
    at most). Left there, that garbage was promoted by the first collection
    of the next request and piled up in the oldest generation, which a full
    collection during some later request walked with the caches warmed since
    the last freeze: 4 to 9 ms on list pages of 6 to 15 ms, about once every 80
    requests, the one-client p99. The full collections still come (each
    collection here counts towards the collector's trigger), smaller: 1 to 6 ms
    in process. A full collection at every request would walk the caches each
    time (2.4 ms median): at ``WARM_FREEZES`` only, then frozen. Not from
    ``request_started`` either (tried): the request's own contexts, already
    made, were promoted each time and died in the oldest generation, 14 lists
    of 106 over 2× in the full bench.

    Not when another request is in flight: its objects would be promoted to
    the oldest generation while still in use (under load, the collector's own
    thresholds decide, as before). Not once the response is sent either (from
    its ``close``, tried first): the pre-forked bench server then gave all 8
    keep-alive connections to the process that had just answered, and 2
    processes served no more than one (65.9 against 63.8 requests/s).
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        global _in_flight
        with _in_flight_lock:
            idle = _in_flight == 0
            _in_flight += 1
        try:
            if _serving:
                _collect(idle)
            return self.wsgi_app(environ, start_response)
        finally:
            with _in_flight_lock:
                _in_flight -= 1


def _collect(idle: bool) -> None:
    if next(_served) in WARM_FREEZES:
        freeze_warm_heap()
    elif idle and COLLECT_BEFORE_EVERY_REQUEST:
        gc.collect(1)


def freeze_warm_heap() -> None:
    """Collect the whole heap and freeze what is left (the warmed caches), at
    the counts of ``WARM_FREEZES``, as a request starts (the previous ones
    over, their sessions closed). A request served at the same moment by
    another thread has its objects frozen, a bounded loss (a dozen times in a
    process's life)."""
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
    """Collect as each request of a serving process starts and freeze its warm
    heap (``CollectBeforeRequest``); count SQL statements per request when
    enabled (see module docstring)."""
    app.wsgi_app = CollectBeforeRequest(app.wsgi_app)
    if not enabled(app):
        return
    with app.app_context():
        for engine in db.engines.values():
            if not sa.event.contains(engine, "before_cursor_execute", _count):
                sa.event.listen(engine, "before_cursor_execute", _count)
    app.after_request(_add_header)
