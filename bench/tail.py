"""One client's tail (issue 21): each list page's p99 against its median,
side by side with an earlier behaviour of the collector.

    python -m bench.tail [--db sqlite|postgresql] [--url URL] [--quick] [--priority]
                         [--repeat N] [--against collect|warm]

Two servers on the same data set (``bench.run``'s, reused), the second one
started as before a change: ``--against collect`` (the default),
``BENCH_COLLECTOR_TIMING=1``, no collection as each request starts
(``app.perf.CollectBeforeRequest``), collections when the collector's
thresholds say; ``--against warm``, ``BENCH_NO_WARM_FREEZE=1``, only the
start-up heap frozen (``app.perf.freeze_warm_heap``), the young collection
still on. For
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
from bench.measure import machine, percentile, raise_priority, rss_kb
from bench.pages import plan_pages
from bench.report import is_list
from bench.server import server_env, serving
from bench.targets import ONE_CLIENT_P99_RATIO

#: The second server's environment and the two sides' names, by ``--against``.
AGAINST = {
    "collect": (
        {"BENCH_COLLECTOR_TIMING": "1"},
        ("collecte en début de requête", "sans"),
    ),
    "warm": ({"BENCH_NO_WARM_FREEZE": "1"}, ("gel au chaud", "sans")),
}


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


def run(
    kind: str, quick: bool, url: str | None, repeat: int, against: str = "collect"
) -> dict:
    url = dataset.database_url(kind, url, quick)
    started_at = datetime.now(UTC)
    load_before = os.getloadavg()
    dataset.ensure(url, quick=quick)
    pages = [p for p in plan_pages(url, quick)["pages"] if is_list(p)]
    before, sides = AGAINST[against]
    warm = server_env(url)
    cold = {**warm, **before}
    results = []
    with (
        serving(url, warm, dataset.OUT / f"server-tail-{kind}-1.log") as (a, one, _a),
        serving(url, cold, dataset.OUT / f"server-tail-{kind}-2.log") as (b, two, _b),
    ):
        sessions = dict(zip(sides, (one, two), strict=True))
        for page in pages:
            measured = _measure(sessions, page["path"], repeat)
            results.append({**page, **measured})
        # Each server's memory after the same requests: what the collector
        # left, and what the warm freezes kept.
        rss_mb = {
            side: round(rss_kb(server.pid) / 1024, 1)
            for side, server in zip(sides, (a, b), strict=True)
        }
    summary = {}
    for side in sides:
        missed = [
            r
            for r in results
            if r[side]["p99_ms"] > ONE_CLIENT_P99_RATIO * r[side]["median_ms"]
        ]
        summary[side] = {
            "lists": len(results),
            "missed": len(missed),
            "rss_mb_after": rss_mb[side],
        }
        print(
            f"{side} : p99 > {ONE_CLIENT_P99_RATIO:g}× médiane sur "
            f"{len(missed)} listes sur {len(results)} ; mémoire à la fin "
            f"{rss_mb[side]} Mo"
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
        "against": against,
        "summary": summary,
        "pages": results,
    }
    dataset.OUT.mkdir(parents=True, exist_ok=True)
    name = f"tail-{kind}{'-quick' if quick else ''}.json"
    (dataset.OUT / name).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def main(argv: list[str] | None = None) -> None:
    """Measure the one-client tail, side by side with an earlier behaviour."""
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
    parser.add_argument(
        "--against",
        choices=sorted(AGAINST),
        default="collect",
        help="the earlier behaviour the second server keeps",
    )
    args = parser.parse_args(argv)
    if args.priority:
        raise_priority()
    run(args.db, args.quick, args.url, args.repeat, args.against)


if __name__ == "__main__":
    main()
