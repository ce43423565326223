"""A short tail (issue 21): the start-up heap leaves the collector's reach, and
large exports give back the memory they used."""

from __future__ import annotations

import gc

from app import perf


def test_freeze_startup_heap_moves_live_objects_out_of_the_collector():
    gc.unfreeze()
    try:
        perf.freeze_startup_heap()
        assert gc.get_freeze_count() > 10_000  # modules, models, admin views
    finally:
        gc.unfreeze()


def test_allocator_pools_capped_on_glibc(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    libc = perf._c_library()
    assert perf.limit_malloc_arenas() is bool(libc and hasattr(libc, "mallopt"))


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
