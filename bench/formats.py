"""Export of the attendance list (with labels) in CSV, XLSX and ODS, timed over HTTP.

    python -m bench.formats [--db sqlite|postgresql] [--quick] [--url URL] [--repeat N]

Uses the bench data set (bench/dataset.py: 400,000 attendance rows, or a tenth
with --quick), starts the app under waitress as bench/run.py does, logs in,
then downloads ``/admin/attendance/export/<fmt>/`` for each format, one after
the other, and records the wall time, the size and the peak growth of the
server's memory (sampled from /proc). The target (issue 13): XLSX and ODS each
within 3x the CSV time of the same run, with constant memory. Results go to
bench/out/formats-<db>.json; docs/performance.md shows them (bench/report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime

from bench import dataset
from bench.client import Session
from bench.measure import RssSampler, machine
from bench.server import server_env, serving
from bench.targets import OUT

FORMATS = ("csv", "xlsx", "ods")
PATH = "/admin/attendance/export/{fmt}/"


def _download(session: Session, pid: int, fmt: str) -> dict:
    size = {"bytes": 0}

    def sink(chunk: bytes) -> None:
        size["bytes"] += len(chunk)

    with RssSampler(pid) as rss:
        started = time.perf_counter()
        response = session.request("GET", PATH.format(fmt=fmt), follow=False, sink=sink)
        seconds = time.perf_counter() - started
    return {
        "status": response.status,
        "seconds": round(seconds, 2),
        "bytes": size["bytes"],
        "rss_growth_mb": round(rss.growth_mb, 1),
    }


def run(kind: str, quick: bool, url: str | None, repeat: int) -> dict:
    url = dataset.database_url(kind, url, quick)
    built = dataset.ensure(url, quick=quick)
    # Without the query counter (X-Query-Count), as the published figures were.
    env = server_env(url, count_queries=False)
    runs: dict[str, list[dict]] = {fmt: [] for fmt in FORMATS}
    log = OUT / f"server-formats-{kind}.log"
    with serving(url, env, log) as (server, session, _auth):
        for _ in range(repeat):
            for fmt in FORMATS:
                result = _download(session, server.pid, fmt)
                runs[fmt].append(result)
                print(
                    f"  présences en {fmt:<4} {result['seconds']:7.2f} s "
                    f"{result['bytes'] / 1e6:7.1f} Mo  +{result['rss_growth_mb']} Mo "
                    f"[{result['status']}]",
                    flush=True,
                )
    best = {fmt: min(r["seconds"] for r in results) for fmt, results in runs.items()}
    result = {
        "db": kind,
        "quick": quick,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load": os.getloadavg(),
        "rows": built["counts"]["attendance"],
        "runs": runs,
        "best_seconds": best,
        "ratio_to_csv": {
            fmt: round(best[fmt] / best["csv"], 2) if best["csv"] else None
            for fmt in FORMATS
        },
    }
    name = f"formats-{kind}{'-quick' if quick else ''}.json"
    (OUT / name).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument(
        "--url", help="database URL (default: bench/out or BENCH_PG_URL)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="downloads per format")
    args = parser.parse_args(argv)
    result = run(args.db, args.quick, args.url, args.repeat)
    print(json.dumps(result["ratio_to_csv"]))


if __name__ == "__main__":
    main()
