"""One client's tail (issue 21): each list page's p99 against its median,
with the warm heap frozen (``app.perf.freeze_warm_heap``) and without.

    python -m bench.tail [--db sqlite|postgresql] [--url URL] [--quick] [--priority]
                         [--repeat N]

Two servers on the same data set (``bench.run``'s, reused), one started with
``BENCH_NO_WARM_FREEZE=1`` (only the start-up heap frozen, as before). For
each list page ``bench.run`` measures (first pages, deep pages, filters,
searches, pickers), in the same order, two warm-up requests then N requests
(20 by default, as ``bench.run``) to each server in turn, each first every
other round, so that a change of the machine's load falls on both alike. Prints, for each server, the lists
whose p99 exceeds 2× their median and the slowest requests; results in
bench/out/tail-<db>.json (not added to docs/performance.md by ``bench.report``:
the figures are copied there by hand, with their date).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime

from bench import dataset
from bench.measure import machine, percentile, raise_priority
from bench.pages import plan_pages
from bench.report import is_list
from bench.server import server_env, serving
from bench.targets import ONE_CLIENT_P99_RATIO

SIDES = ("gel au chaud", "sans")


def _measure(sessions: dict, path: str, repeat: int) -> dict:
    for _ in range(2):
        for session in sessions.values():
            session.get(path, follow=False)
    times: dict[str, list[float]] = {side: [] for side in sessions}
    order = list(sessions.items())
    for _ in range(repeat):
        order.reverse()  # each server first every other round
        for side, session in order:
            started = time.perf_counter()
            session.get(path, follow=False)
            times[side].append((time.perf_counter() - started) * 1000)
    return {
        side: {
            "median_ms": round(statistics.median(values), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(max(values), 1),
        }
        for side, values in times.items()
    }


def run(kind: str, quick: bool, url: str | None, repeat: int) -> dict:
    url = dataset.database_url(kind, url, quick)
    started_at = datetime.now(UTC)
    load_before = os.getloadavg()
    dataset.ensure(url, quick=quick)
    pages = [p for p in plan_pages(url, quick)["pages"] if is_list(p)]
    warm = server_env(url)
    cold = {**warm, "BENCH_NO_WARM_FREEZE": "1"}
    results = []
    with (
        serving(url, warm, dataset.OUT / f"server-tail-{kind}-1.log") as (_, one, _a),
        serving(url, cold, dataset.OUT / f"server-tail-{kind}-2.log") as (_, two, _b),
    ):
        sessions = dict(zip(SIDES, (one, two), strict=True))
        for page in pages:
            measured = _measure(sessions, page["path"], repeat)
            results.append({**page, **measured})
    summary = {}
    for side in SIDES:
        missed = [
            r
            for r in results
            if r[side]["p99_ms"] > ONE_CLIENT_P99_RATIO * r[side]["median_ms"]
        ]
        summary[side] = {"lists": len(results), "missed": len(missed)}
        print(
            f"{side} : p99 > {ONE_CLIENT_P99_RATIO:g}× médiane sur "
            f"{len(missed)} listes sur {len(results)}"
        )
        for r in missed:
            print(
                f"  {r['view']:<16} {r['kind'][:40]:<40} "
                f"médiane {r[side]['median_ms']:6.1f}  p99 {r[side]['p99_ms']:6.1f} ms"
            )
    result = {
        "db": kind,
        "date": started_at.isoformat(timespec="seconds"),
        "machine": machine(),
        "load": {"before": load_before, "after": os.getloadavg()},
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "repeat": repeat,
        "summary": summary,
        "pages": results,
    }
    dataset.OUT.mkdir(parents=True, exist_ok=True)
    name = f"tail-{kind}{'-quick' if quick else ''}.json"
    (dataset.OUT / name).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def main(argv: list[str] | None = None) -> None:
    """Measure the one-client tail with and without the warm heap frozen."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument(
        "--url", help="database URL (default: bench/out or BENCH_PG_URL)"
    )
    parser.add_argument(
        "--repeat", type=int, default=20, help="requests per list and server"
    )
    parser.add_argument(
        "--priority", action="store_true", help="bench and servers at nice -10 (root)"
    )
    args = parser.parse_args(argv)
    if args.priority:
        raise_priority()
    run(args.db, args.quick, args.url, args.repeat)


if __name__ == "__main__":
    main()
