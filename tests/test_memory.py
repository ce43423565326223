"""A short tail (issue 21): the start-up heap leaves the collector's reach,
large exports give back the memory they used, and the libraries few requests
need are not loaded at start-up."""

from __future__ import annotations

import gc
import itertools
import json
import os
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa
from flask import has_app_context, has_request_context, request_started
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex

from app import create_app, perf
from app.extensions import db
from app.models.base import partial_index, use_dialect
from app.models.meetings import WITHOUT_MINUTES_SQL
from tests.conftest import base_config

#: Libraries that a started server must not hold until a request needs them
#: (resident size measured with each imported alone, MB): migrations
#: (Flask-Migrate, Alembic, Mako, Pygments: 11), spreadsheets (openpyxl: 12),
#: OpenDocument (odfpy: 2), password strength lists (zxcvbn: 12), PDF
#: (WeasyPrint), calendars (icalendar: 3), compte rendu text (markdown-it,
#: nh3: 3), upload checks (puremagic: 1.5), address and phone checks
#: (email-validator, phonenumbers: 1.6), sending mail (smtplib).
HEAVY_MODULES = (
    "alembic",
    "flask_migrate",
    "mako",
    "pygments",
    "openpyxl",
    "odf",
    "zxcvbn",
    "weasyprint",
    "icalendar",
    "markdown_it",
    "nh3",
    "puremagic",
    "phonenumbers",
    "email_validator",
    "smtplib",
)

#: Modules an SQLite process must not load: SQLAlchemy's PostgreSQL dialect
#: (~2.3 MB; its types and its ``postgresql_where`` index argument loaded it).
POSTGRESQL_ONLY = ("sqlalchemy.dialects.postgresql",)

#: Run in a fresh interpreter: build the app as a server does, serve a first
#: request, print which heavy modules are loaded.
_START_AND_SERVE = textwrap.dedent(
    """
    import json, sys
    from app import create_app
    app = create_app(json.loads(sys.argv[1]))
    client = app.test_client()
    status = client.get("/connexion").status_code
    loaded = sorted(
        {name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2]))
    )
    loaded += sorted(set(sys.modules) & set(json.loads(sys.argv[3])))
    print(json.dumps({"status": status, "loaded": loaded}))
    """
)


def test_start_up_and_first_request_load_no_heavy_library(app, tmp_dir):
    """create_app on a database already at the latest revision, then a first
    page: none of the heavy libraries above is imported (not a timing test:
    it reads ``sys.modules`` of a fresh process)."""
    config = base_config(tmp_dir)  # the suite's database, migrated by ``app``
    sqlite = config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    result = subprocess.run(
        [sys.executable, "-c", _START_AND_SERVE, json.dumps(config)]
        + [json.dumps(HEAVY_MODULES), json.dumps(POSTGRESQL_ONLY if sqlite else [])],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 200
    assert outcome["loaded"] == [], (
        f"chargés au démarrage : {outcome['loaded']} (importez-les là où ils servent)"
    )


def test_partial_index_condition_given_to_postgresql(tmp_dir):
    """The dashboard's partial index keeps its condition on PostgreSQL, given
    when the app's engine is PostgreSQL rather than when the model loads."""
    from app.models import Meeting

    index = next(
        i for i in Meeting.__table__.indexes if i.name == "ix_meeting_without_minutes"
    )
    app = create_app(
        base_config(
            tmp_dir,
            SQLALCHEMY_DATABASE_URI="postgresql://nobody:x@127.0.0.1:9/none",
            AUTO_MIGRATE=False,
        ),
        migrate_database=False,
    )  # no connection is made
    with app.app_context():
        dialect = db.engine.dialect
    ddl = str(CreateIndex(index).compile(dialect=dialect))
    assert dialect.name == "postgresql"
    assert ddl.endswith(f"(starts_at) WHERE {WITHOUT_MINUTES_SQL}"), ddl
    sqlite_ddl = str(CreateIndex(index).compile(dialect=sqlite.dialect()))
    assert sqlite_ddl.endswith(f"(starts_at) WHERE {WITHOUT_MINUTES_SQL}"), sqlite_ddl


def test_use_dialect_gives_postgresql_every_partial_index():
    metadata = sa.MetaData()
    index = partial_index("uq_t_one_open", "lane", unique=True, where="open = 1")
    sa.Table(
        "t",
        metadata,
        sa.Column("lane", sa.Integer),
        sa.Column("open", sa.Integer),
        index,
    )
    use_dialect(metadata, "sqlite")  # nothing to give
    assert not index.dialect_options["postgresql"]["where"]
    use_dialect(metadata, "postgresql")
    ddl = str(CreateIndex(index).compile(dialect=postgresql.dialect()))
    assert ddl == "CREATE UNIQUE INDEX uq_t_one_open ON t (lane) WHERE open = 1", ddl


def test_freeze_startup_heap_moves_live_objects_out_of_the_collector():
    gc.unfreeze()
    try:
        perf.freeze_startup_heap()
        assert gc.get_freeze_count() > 10_000  # modules, models, admin views
    finally:
        gc.unfreeze()


@pytest.fixture
def collections(monkeypatch):
    """The collections run by ``gc.collect`` (their generation), each
    with whether Flask had made a request's contexts yet."""
    seen = []
    collect = gc.collect

    def watched_collect(generation=2):
        seen.append((generation, has_app_context() or has_request_context()))
        return collect(generation)

    monkeypatch.setattr(gc, "collect", watched_collect)
    return seen


@pytest.fixture
def timeline(app, collections):
    """``collections``, with "request" where each request was dispatched."""

    def dispatched(_sender, **_extra):
        collections.append("request")

    request_started.connect(dispatched, app)
    yield collections
    request_started.disconnect(dispatched, app)


@pytest.fixture
def serving(monkeypatch):
    monkeypatch.setattr(perf, "_serving", True)
    monkeypatch.setattr(perf, "_served", itertools.count(1))
    monkeypatch.setattr(perf, "_in_flight", 0)
    monkeypatch.setattr(perf, "WARM_FREEZES", frozenset())


def test_serving_process_collects_young_objects_as_each_request_comes_in(
    app, serving, timeline
):
    client = app.test_client()
    assert client.get("/connexion").status_code == 200
    # The two young generations, once per request, before Flask makes the
    # request's contexts (the previous requests' objects dead by then, its
    # own not yet made: promoted, they would die in the oldest generation).
    assert timeline == [(1, False), "request"]
    assert client.get("/page-qui-n-existe-pas").status_code == 404
    assert client.get("/connexion").status_code == 200
    assert timeline == [(1, False), "request"] * 3
    assert perf._in_flight == 0  # each request counted in, then out


def test_no_collection_while_another_request_is_in_flight(app, serving, collections):
    # Another thread's request, between its start and its teardown: its
    # objects would be promoted to the oldest generation while still in use.
    perf._in_flight = 1
    assert app.test_client().get("/connexion").status_code == 200
    assert collections == []
    assert perf._in_flight == 1  # this request counted itself in, then out
    perf._in_flight = 0
    assert app.test_client().get("/connexion").status_code == 200
    assert collections == [(1, False)]


def test_serving_process_freezes_its_warm_heap_at_the_set_counts(
    app, serving, collections, monkeypatch
):
    monkeypatch.setattr(perf, "WARM_FREEZES", frozenset({3}))
    client = app.test_client()
    gc.unfreeze()
    try:
        for _ in range(2):
            assert client.get("/connexion").status_code == 200
        assert gc.get_freeze_count() == 0
        assert client.get("/connexion").status_code == 200
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the modules, the app, the warmed caches
        # A full collection first, before the request opens its session: the
        # objects of the previous ones freed, not frozen.
        assert collections == [(1, False)] * 2 + [(2, False)]
        for _ in range(3):
            client.get("/connexion")
        # Only at the set counts (frozen objects still die by their reference count).
        assert gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_warm_heap_left_alone_outside_a_server(app, collections, monkeypatch):
    monkeypatch.setattr(perf, "_served", itertools.count(1))
    monkeypatch.setattr(perf, "WARM_FREEZES", frozenset({1, 2}))
    gc.unfreeze()
    try:
        app.test_client().get("/connexion")
        app.test_client().get("/connexion")
        assert gc.get_freeze_count() == 0  # tests and commands: never
        assert collections == []
    finally:
        gc.unfreeze()


def test_allocator_pools_capped_on_glibc(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    libc = perf._c_library()
    assert perf.limit_malloc_arenas() is bool(libc and hasattr(libc, "mallopt"))


#: Run in a fresh interpreter (argv[1] "1": thresholds fixed): after a large
#: block is freed, 40 MB of 400 KiB blocks are freed under one still in use;
#: print how many MB the process kept.
_FREE_LARGE_BLOCKS = textwrap.dedent(
    """
    import sys
    from app import perf
    def rss_mb():
        with open("/proc/self/status") as fh:
            line = next(x for x in fh if x.startswith("VmRSS:"))
        return int(line.split()[1]) // 1024
    if sys.argv[1] == "1":
        assert perf.fix_malloc_thresholds()
    big = bytearray(4 << 20)
    del big  # a large block freed: glibc raises its thresholds unless fixed
    before = rss_mb()
    blocks = [bytearray(400 << 10) for _ in range(100)]
    keep = bytearray(400 << 10)  # above them: the pool's top stays in use
    del blocks
    print(rss_mb() - before)
    """
)


def _kept_mb(fixed: bool) -> int:
    result = subprocess.run(
        [sys.executable, "-c", _FREE_LARGE_BLOCKS, "1" if fixed else "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")},
    )
    return int(result.stdout.strip())


@pytest.mark.skipif(
    not hasattr(perf._c_library(), "mallopt")
    or not os.path.exists("/proc/self/status"),
    reason="glibc's mallopt and /proc only",
)
def test_large_blocks_freed_go_back_to_the_system_with_fixed_thresholds():
    """What kept ~15 MB after every other export: freed large blocks stayed in
    the allocator's pool once glibc had raised its thresholds."""
    assert _kept_mb(fixed=False) >= 20  # glibc's default: the pool keeps them
    assert _kept_mb(fixed=True) <= 5


def test_release_memory_finds_the_c_allocator():
    perf.release_memory()  # must never fail, whatever the C library
    assert perf._libc is None or hasattr(perf._libc, "malloc_trim")


def test_exports_release_their_memory(admin_client, make_member, monkeypatch):
    from app.admin import exports

    calls = []
    monkeypatch.setattr(exports, "release_memory", lambda: calls.append(1))
    make_member(last_name="Le Bris")
    for fmt in ("csv", "xlsx"):
        response = admin_client.get(f"/admin/member/export/{fmt}/")
        assert response.status_code == 200
        response.get_data()
        response.close()
    assert len(calls) == 2


def test_ready_to_serve_tunes_the_allocator(monkeypatch):
    monkeypatch.setattr(perf, "_serving", False)  # restored after the test
    calls = []
    monkeypatch.setattr(perf, "limit_malloc_arenas", lambda: calls.append("arenas"))
    monkeypatch.setattr(perf, "fix_malloc_thresholds", lambda: calls.append("blocks"))
    monkeypatch.setattr(perf, "freeze_startup_heap", lambda: calls.append("freeze"))
    perf.ready_to_serve()
    assert calls == ["arenas", "blocks", "freeze"]
    assert perf._serving  # the warm heap is frozen from now on
