"""Benchmark the app at 100× the council's size and write docs/performance.md.

    python -m bench.run [--db sqlite|postgresql] [--quick] [--rebuild] [--url URL]

Builds (or reuses) the data set, starts the app under waitress on 127.0.0.1 in
a subprocess, logs in (bench/auth.py), then measures sequentially every list
view (first page, a deep page, a search, a filter), details and edit pages,
the dashboard, a compte rendu page when the app has one, the CSV export of
every list, the import of 20,000 members when the app has an import, and the
cold start. SQL queries per request come from the X-Query-Count header
(app/perf.py). Then the concurrent runs and the memory figures
(bench/concurrency.py). Results are kept in bench/out/results-<db>.json and
docs/performance.md is rebuilt from every result file present.

``--only-concurrency`` runs only the latter and adds them to the result file
already there.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime

from bench import dataset
from bench.concurrency import compare_lock, run_concurrency, run_memory
from bench.measure import (
    cold_start,
    machine,
    measure,
    measure_export,
    measure_import,
    plain_export,
    raise_priority,
)
from bench.pages import plan_pages
from bench.report import write_report_or_say_why
from bench.server import server_env, serving
from bench.targets import OUT, ROOT


def result_path(kind: str, quick: bool):
    return OUT / f"results-{kind}{'-quick' if quick else ''}.json"


def run_concurrent_part(kind: str, quick: bool, url: str | None) -> dict:
    """Concurrent clients and memory, added to the existing result file."""
    url = dataset.database_url(kind, url, quick)
    built = dataset.ensure(url, quick=quick)
    path = result_path(kind, quick)
    result = json.loads(path.read_text()) if path.exists() else {}
    result.setdefault("db", kind)
    result.setdefault("url", url.split("@")[-1])
    result.setdefault("quick", quick)
    result.setdefault("machine", machine())
    result.setdefault("dataset", built)
    env = server_env(url)
    load_before = os.getloadavg()
    started_at = datetime.now(UTC)
    print("Clients concurrents…", flush=True)
    concurrent = run_concurrency(url, env)
    print("Mémoire…", flush=True)
    memory = run_memory(url, env)
    compared = []
    if kind == "sqlite":
        print("Lectures en BEGIN IMMEDIATE (avant) / BEGIN (après)…", flush=True)
        compared = compare_lock(url, env)
    result["concurrency"] = {
        "date": started_at.isoformat(timespec="seconds"),
        "load": {"before": load_before, "after": os.getloadavg()},
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "runs": concurrent,
        "memory": memory,
        "compare": compared,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def run_memory_part(kind: str, quick: bool, url: str | None) -> dict:
    """Only the memory figures, in results-<db>-memory.json (report untouched)."""
    url = dataset.database_url(kind, url, quick)
    dataset.ensure(url, quick=quick)
    load_before = os.getloadavg()
    memory = run_memory(url, server_env(url))
    start = memory["after_start_mb"]
    after = max(e["rss_mb"] for e in memory["exports"])
    peak = max(e["peak_mb"] for e in memory["exports"])
    result = {
        "db": kind,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load": {"before": load_before, "after": os.getloadavg()},
        "machine": machine(),
        "memory": memory,
        "after_exports_ratio": round(after / start, 2),
        "peak_ratio": round(peak / start, 2),
    }
    print(
        f"après démarrage {start} Mo ; après 6 exports {after} Mo "
        f"({result['after_exports_ratio']}×) ; pic {peak} Mo ({result['peak_ratio']}×)"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    name = f"results-{kind}{'-quick' if quick else ''}-memory.json"
    (OUT / name).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def run(
    kind: str, quick: bool, rebuild: bool, url: str | None, only: str | None = None
) -> dict:
    url = dataset.database_url(kind, url, quick)
    started_at = datetime.now(UTC)
    load_before = os.getloadavg()
    built = dataset.ensure(url, quick=quick, rebuild=rebuild)
    print("Préparation des pages à mesurer…", flush=True)
    plan = plan_pages(url, quick)
    if only:
        # A partial run: the matching pages only, no export, import or cold start.
        needles = [n.strip() for n in only.lower().split(",") if n.strip()]
        plan = {
            "pages": [
                p
                for p in plan["pages"]
                if any(
                    n in f"{p['view']} {p['kind']} {p['path']}".lower() for n in needles
                )
            ],
            "exports": [],
            "import": None,
        }
    env = server_env(url)
    log = OUT / f"server-{kind}.log"
    with serving(url, env, log) as (server, session, auth):
        print(f"Connexion : {auth}", flush=True)
        repeat = 8 if quick else 20
        pages = []
        for page in plan["pages"]:
            result = measure(session, page["path"], repeat, server.pid)
            pages.append({**page, **result})
            print(
                f"  {page['view']:<16} {page['kind'][:44]:<44} "
                f"{result['median_ms']:7.1f} {result['p95_ms']:7.1f} ms "
                f"(CPU {result['cpu_ms']:5.1f}) "
                f"{result['queries'] if result['queries'] is not None else '?':>3} req. "
                f"[{result['status']}]",
                flush=True,
            )
        exports = []
        for exp in plan["exports"]:
            result = measure_export(session, server.pid, exp["path"])
            exports.append({**exp, **result})
            print(
                f"  export {exp['view']:<14} {result['rows']:>8} lignes "
                f"{result['seconds']:7.2f} s  +{result['rss_growth_mb']} Mo "
                f"[{result['status']}]",
                flush=True,
            )
        imported = None
        if plan["import"]:
            count = 2000 if quick else 20000
            imported = measure_import(session, server.pid, plan["import"], count)
            print(f"  import : {imported}", flush=True)
    attendance_rows = built["counts"]["attendance"]
    plain = plain_export(url, attendance_rows) if not only else None
    print(f"  export brut (référence) : {plain}", flush=True)
    cold = cold_start(env) if not only else None
    print(f"  démarrage à froid : {cold}", flush=True)
    result = {
        "db": kind,
        "url": url.split("@")[-1],
        "quick": quick,
        "date": started_at.isoformat(timespec="seconds"),
        "machine": machine(),
        "load": {"before": load_before, "after": os.getloadavg()},
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "dataset": built,
        "auth": auth,
        "pages": pages,
        "exports": exports,
        "import": imported,
        "import_path": plan["import"],
        "plain_export": plain,
        "cold_start": cold,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    name = f"results-{kind}{'-quick' if quick else ''}{'-partial' if only else ''}.json"
    (OUT / name).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data set")
    parser.add_argument(
        "--url", help="database URL (default: bench/out or BENCH_PG_URL)"
    )
    parser.add_argument(
        "--no-doc", action="store_true", help="do not rewrite docs/performance.md"
    )
    parser.add_argument(
        "--only",
        help="measure only the pages whose view, kind or path contains one of these "
        "comma-separated texts "
        "(no export, import or cold start; results-<db>-partial.json, report untouched)",
    )
    parser.add_argument(
        "--priority",
        action="store_true",
        help="run the bench and the server at nice -10 (root), to shield the "
        "measurements from other jobs on a shared machine",
    )
    parser.add_argument(
        "--only-concurrency",
        action="store_true",
        help="only the concurrent clients and the memory figures (added to the "
        "existing result file)",
    )
    parser.add_argument(
        "--only-memory",
        action="store_true",
        help="only the memory figures (server start-up, 6 exports of the "
        "attendance list; results-<db>-memory.json, report untouched)",
    )
    args = parser.parse_args(argv)
    if args.priority:
        raise_priority()
    if args.only_memory:
        run_memory_part(args.db, args.quick, args.url)
        return
    if not args.only_concurrency:
        run(args.db, args.quick, args.rebuild, args.url, args.only)
    if not args.only:
        run_concurrent_part(args.db, args.quick, args.url)
    if not args.no_doc and not args.only:
        path = write_report_or_say_why()
        if path is not None:
            print(f"Rapport écrit : {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
