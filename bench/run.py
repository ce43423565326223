"""Benchmark the app at 100× the council's size and write docs/performance.md.

    python -m bench.run [--db sqlite|postgresql] [--quick] [--rebuild] [--url URL]

Builds (or reuses) the data set, starts the app under waitress on 127.0.0.1 in
a subprocess, logs in (bench/auth.py), then measures sequentially every list
view (first page, a deep page, a search, a filter), details and edit pages,
the dashboard, a compte rendu page when the app has one, the CSV export of
every list, the import of 20,000 members when the app has an import, and the
cold start. SQL queries per request come from the X-Query-Count header
(app/perf.py). Results are kept in bench/out/results-<db>.json and
docs/performance.md is rebuilt from every result file present.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import dataset
from bench.auth import login
from bench.client import Session, forms

ROOT = dataset.ROOT
OUT = dataset.OUT
DOC = ROOT / "docs" / "performance.md"

#: Targets of issue 8.
LIST_MEDIAN_MS = 30
LIST_P95_MS = 60
MAX_QUERIES = 10
EXPORT_RATIO = 2.0
EXPORT_RSS_MB = 50
IMPORT_S = 10
COLD_START_S = 1.5
#: Reference figures quoted by the issue (same machine, same size, 50-row page).
REFERENCES = {
    "member": {"django": 42, "flask_admin_untuned": 21},
    "attendance": {"django": 118, "flask_admin_untuned": 30},
}
DATASETTE_CSV_S = 13.0


# ----------------------------------------------------------------- helpers
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Peak resident memory of a process while a block runs (sampled every 10 ms)."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.start = pid, 0, 0
        self._stop = threading.Event()

    def __enter__(self):
        self.start = self.peak = rss_kb(self.pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_kb(self.pid))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_kb(self.pid))

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_mb": ram,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


# ----------------------------------------------------------- the plan
def plan_pages(url: str, quick: bool) -> dict:
    """Read the registered views in-process and decide which URLs to measure."""
    import sqlalchemy as sa
    from flask_admin.model.filters import BaseBooleanFilter

    from app import create_app
    from app.admin import model_views
    from app.extensions import db

    app = create_app(dataset.app_config(url, AUTO_MIGRATE=False))
    pages = []
    exports = []
    rules = {r.endpoint: r for r in app.url_map.iter_rules()}
    with app.test_request_context():
        admin = app.extensions["admin"][0]
        for view in model_views(admin):
            ep = f"/admin/{view.endpoint}"
            model = view.model
            total = db.session.execute(
                sa.select(sa.func.count()).select_from(model)
            ).scalar()
            ids = sorted(db.session.execute(sa.select(model.id)).scalars().all())
            middle = ids[len(ids) // 2] if ids else None
            pages.append(dict(view=view.endpoint, kind="première page", path=f"{ep}/"))
            size = view.page_size or 50
            last_page = max((total - 1) // size, 0)
            deep = last_page // 2
            pages.append(
                dict(
                    view=view.endpoint,
                    kind=f"page profonde ({deep + 1}/{last_page + 1})",
                    path=f"{ep}/?page={deep}",
                )
            )
            term = search_term(view, model, middle)
            if term:
                from urllib.parse import quote

                pages.append(
                    dict(
                        view=view.endpoint,
                        kind=f"recherche « {term} »",
                        path=f"{ep}/?search={quote(term)}",
                    )
                )
            flt = pick_filter(view, BaseBooleanFilter)
            if flt:
                label, query = flt
                pages.append(
                    dict(
                        view=view.endpoint,
                        kind=f"filtre {label}",
                        path=f"{ep}/?{query}",
                    )
                )
            if middle is not None:
                if view.can_view_details:
                    pages.append(
                        dict(
                            view=view.endpoint,
                            kind="fiche",
                            path=f"{ep}/details/?id={middle}",
                        )
                    )
                if view.can_edit:
                    pages.append(
                        dict(
                            view=view.endpoint,
                            kind="modification",
                            path=f"{ep}/edit/?id={middle}",
                        )
                    )
            picker = ajax_picker(view, model, middle)
            if picker:
                pages.append(
                    dict(view=view.endpoint, kind=picker[0], path=f"{ep}/{picker[1]}")
                )
            if view.can_export and f"{view.endpoint}.export" in rules:
                exports.append(
                    dict(view=view.endpoint, path=f"{ep}/export/csv/", rows=total)
                )
        pages.append(dict(view="tableau de bord", kind="accueil", path="/admin/"))
        minutes = minutes_page(app, rules)
        if minutes:
            pages.append(dict(view="compte rendu", kind="page", path=minutes))
        import_path = import_page(rules)
    with app.app_context():
        db.engine.dispose()
    return {"pages": pages, "exports": exports, "import": import_path}


def search_term(view, model, row_id) -> str | None:
    """A realistic search: the first searchable text of a row in the middle."""
    from app.extensions import db

    if row_id is None or not view.column_searchable_list:
        return None
    row = db.session.get(model, row_id)
    for name in view.column_searchable_list:
        value = row
        for part in str(name).split("."):
            value = getattr(value, part, None) if value is not None else None
        if isinstance(value, str) and value.strip():
            words = value.split()
            return " ".join(words[:3])[:40]
    return None


def ajax_picker(view, model, row_id) -> tuple[str, str] | None:
    """The search-as-you-type picker of the first related field (3 letters typed)."""
    from urllib.parse import urlencode

    from app.extensions import db

    refs = getattr(view, "_form_ajax_refs", None) or {}
    if not refs or row_id is None:
        return None
    row = db.session.get(model, row_id)
    for name in refs:
        if "-" in name:  # inline sub-form pickers
            continue
        value = getattr(row, name, None)
        if isinstance(value, list):
            value = value[0] if value else None
        term = str(value)[:3] if value is not None else "a"
        query = urlencode({"name": name, "query": term})
        return f"sélecteur {name} « {term} »", f"ajax/lookup/?{query}"
    return None


def pick_filter(view, boolean_cls) -> tuple[str, str] | None:
    """A filter a person would use: an 'equals' on a list of choices, else any."""
    args = getattr(view, "_filter_args", None) or {}
    best = None
    for arg, (_idx, flt) in args.items():
        if "empty" in type(flt).__name__.lower():
            continue
        options = None
        try:
            options = flt.get_options(view)
        except Exception:
            options = None
        if options:
            value = options[0][0]
            candidate = (f"{flt.name} = {options[0][1]}", f"flt0_{arg}={value}")
            if not isinstance(flt, boolean_cls):
                return candidate
            best = best or candidate
    if best:
        return best
    for arg, (_idx, flt) in args.items():
        name = type(flt).__name__.lower()
        if "date" in name and "between" not in name and "empty" not in name:
            if "greater" in name:
                return (f"{flt.name} après 2020-01-01", f"flt0_{arg}=2020-01-01")
    return None


def minutes_page(app, rules) -> str | None:
    """The compte rendu page of the meeting in the middle, if the app has one."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Meeting

    for endpoint, rule in rules.items():
        text = f"{endpoint} {rule.rule}".lower()
        if not any(w in text for w in ("compte", "minutes", "compte_rendu")):
            continue
        if "GET" not in (rule.methods or ()):
            continue
        with app.app_context():
            mid = db.session.execute(
                sa.select(Meeting.id)
                .order_by(Meeting.id)
                .offset(
                    db.session.execute(sa.select(sa.func.count(Meeting.id))).scalar()
                    // 2
                )
            ).scalar()
        args = set(rule.arguments)
        if not args:
            return f"{rule.rule}?id={mid}"
        if len(args) == 1:
            return re.sub(r"<[^>]+>", str(mid), rule.rule)
    return None


def import_page(rules) -> str | None:
    for endpoint, rule in rules.items():
        if endpoint.startswith("member.") and "import" in endpoint.lower():
            if "GET" in (rule.methods or ()) and not rule.arguments:
                return rule.rule
    return None


# ----------------------------------------------------------- measurements
def measure(
    session: Session, path: str, repeat: int, pid: int, warmup: int = 2
) -> dict:
    for _ in range(warmup):
        session.get(path, follow=False)
    times, queries, status = [], [], None
    cpu_before = cpu_seconds(pid)
    for _ in range(repeat):
        started = time.perf_counter()
        response = session.get(path, follow=False)
        times.append((time.perf_counter() - started) * 1000)
        status = response.status
        if "x-query-count" in response.headers:
            queries.append(int(response.headers["x-query-count"]))
    cpu = (cpu_seconds(pid) - cpu_before) * 1000 / repeat
    return {
        "cpu_ms": round(cpu, 1),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "queries": max(queries) if queries else None,
        "status": status,
        "bytes": len(response.body),
    }


def measure_export(session: Session, pid: int, path: str) -> dict:
    counter = {"bytes": 0, "lines": 0}

    def sink(chunk: bytes) -> None:
        counter["bytes"] += len(chunk)
        counter["lines"] += chunk.count(b"\n")

    with RssSampler(pid) as rss:
        started = time.perf_counter()
        response = session.request("GET", path, follow=False, sink=sink)
        seconds = time.perf_counter() - started
    rows = max(counter["lines"] - 1, 0)
    return {
        "status": response.status,
        "seconds": round(seconds, 2),
        "rows": rows,
        "rows_per_s": round(rows / seconds) if seconds else None,
        "bytes": counter["bytes"],
        "rss_growth_mb": round(rss.growth_mb, 1),
        "queries": int(response.headers.get("x-query-count", "0") or 0) or None,
    }


def plain_export(url: str, rows_expected: int) -> dict:
    """The comparison point: the attendance-with-labels query through the bare driver."""
    from app.config import normalise_database_url
    from app.models import AttendanceStatus, MeetingKind

    status = {m.name: m.value for m in AttendanceStatus}
    kinds = {m.name: m.value for m in MeetingKind}
    sql = (
        "SELECT a.id, mt.starts_at, wg.name, mt.kind, mb.last_name, mb.first_name, "
        "a.status, a.guest FROM attendance a "
        "JOIN meeting mt ON mt.id = a.meeting_id "
        "LEFT JOIN working_group wg ON wg.id = mt.group_id "
        "JOIN member mb ON mb.id = a.member_id ORDER BY a.id"
    )
    started = time.perf_counter()
    if url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///") :])
        cursor = conn.execute(sql)
        driver = "sqlite3"
    else:
        import psycopg

        conn = psycopg.connect(normalise_database_url(url).replace("+psycopg", ""))
        cursor = conn.cursor(name="plain_export")
        cursor.itersize = 2000
        cursor.execute(sql)
        driver = "psycopg"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["N°", "Début", "Groupe", "Nom", "Prénom", "Présence", "Invité·e"])
    count = 0
    for rid, starts, group, kind, last, first, st, guest in cursor:
        writer.writerow(
            [
                rid,
                str(starts)[:16],
                group or kinds.get(kind, kind),
                last,
                first,
                status.get(st, st),
                "Oui" if guest else "Non",
            ]
        )
        count += 1
        if out.tell() > 1 << 20:
            out.seek(0)
            out.truncate()
    conn.close()
    seconds = time.perf_counter() - started
    return {
        "driver": driver,
        "rows": count,
        "seconds": round(seconds, 2),
        "rows_per_s": round(count / seconds) if seconds else None,
    }


def cold_start(env: dict, runs: int = 3) -> dict:
    """Fresh interpreter: import + create_app, then the first request."""
    code = (
        "import time; t0 = time.perf_counter(); c0 = time.process_time()\n"
        "from app import create_app\n"
        "from bench.dataset import app_config\n"
        "import os, json\n"
        "app = create_app(app_config(os.environ['BENCH_URL']))\n"
        "t1 = time.perf_counter()\n"
        "r = app.test_client().get('/admin/')\n"
        "t2 = time.perf_counter()\n"
        "print(json.dumps({'create_app': t1 - t0, 'first': t2 - t1, "
        "'cpu': time.process_time() - c0, 'status': r.status_code}))\n"
    )
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        if line:
            results.append(json.loads(line[-1]))
    if not results:
        return {"error": "échec du démarrage"}
    best = sorted(results, key=lambda r: r["create_app"] + r["first"])[
        len(results) // 2
    ]
    return {
        "create_app_s": round(best["create_app"], 2),
        "first_request_s": round(best["first"], 2),
        "total_s": round(best["create_app"] + best["first"], 2),
        "cpu_s": round(best["cpu"], 2),
        "status": best["status"],
    }


def members_csv(count: int) -> bytes:
    from bench import names as n

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Prénom", "Nom", "Courriel", "Téléphone", "Commune"])
    for i in range(count):
        first = n.FIRST_NAMES[i % len(n.FIRST_NAMES)]
        last = n.LAST_NAMES[(i * 7) % len(n.LAST_NAMES)]
        writer.writerow(
            [
                first,
                last,
                f"import.{i}@exemple.fr",
                f"02 97 {i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d}",
                n.TOWNS[i % len(n.TOWNS)],
            ]
        )
    return out.getvalue().encode("utf-8")


def measure_import(session: Session, pid: int, path: str, count: int) -> dict:
    """Best effort: upload a CSV to the import page, then confirm its preview."""
    page = session.get(path)
    upload = next(
        (
            (attrs, inputs)
            for attrs, inputs in forms(page.text)
            if any(i.get("type") == "file" for i in inputs)
        ),
        None,
    )
    if upload is None:
        return {"error": "formulaire d'import introuvable"}
    attrs, inputs = upload
    file_field = next(i["name"] for i in inputs if i.get("type") == "file")
    data = {
        i["name"]: i.get("value", "")
        for i in inputs
        if i.get("name") and i.get("type") in ("hidden", None)
    }
    payload = members_csv(count)
    with RssSampler(pid) as rss:
        started = time.perf_counter()
        preview = session.post(
            attrs.get("action") or path,
            data,
            files={file_field: ("membres.csv", payload, "text/csv")},
        )
        previewed = time.perf_counter()
        confirm = next(
            (
                (a, i)
                for a, i in forms(preview.text)
                if not any(x.get("type") == "file" for x in i)
                and any(x.get("type") == "hidden" for x in i)
            ),
            None,
        )
        final = preview
        if confirm is not None:
            c_attrs, c_inputs = confirm
            c_data = {
                i["name"]: i.get("value", "")
                for i in c_inputs
                if i.get("name") and i.get("type") in ("hidden", None, "checkbox")
            }
            final = session.post(c_attrs.get("action") or path, c_data)
        seconds = time.perf_counter() - started
    return {
        "rows": count,
        "preview_s": round(previewed - started, 2),
        "seconds": round(seconds, 2),
        "status": final.status,
        "rss_growth_mb": round(rss.growth_mb, 1),
    }


# ----------------------------------------------------------------- run
def run(kind: str, quick: bool, rebuild: bool, url: str | None) -> dict:
    url = dataset.database_url(kind, url, quick)
    started_at = datetime.now(UTC)
    load_before = os.getloadavg()
    built = dataset.ensure(url, quick=quick, rebuild=rebuild)
    print("Préparation des pages à mesurer…", flush=True)
    plan = plan_pages(url, quick)
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": dataset.BENCH_SECRET,
            "CDPL_COUNT_QUERIES": "1",
            "BENCH_URL": url,
            "PYTHONPATH": str(ROOT),
        }
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.server", url, str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(OUT / f"server-{kind}.log", "w"),
    )
    session = Session("127.0.0.1", port)
    try:
        deadline = time.time() + 60
        while True:
            try:
                session.get("/admin/", follow=False)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("le serveur n'a pas démarré") from None
                time.sleep(0.2)
        auth = login(session, env)
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
    finally:
        session.close()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    attendance_rows = built["counts"]["attendance"]
    plain = plain_export(url, attendance_rows)
    print(f"  export brut (référence) : {plain}", flush=True)
    cold = cold_start(env)
    print(f"  démarrage à froid : {cold}", flush=True)
    result = {
        "db": kind,
        "url": url.split("@")[-1],
        "quick": quick,
        "date": started_at.isoformat(timespec="seconds"),
        "machine": machine(),
        "load": {"before": load_before, "after": os.getloadavg()},
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
    name = f"results-{kind}{'-quick' if quick else ''}.json"
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
    args = parser.parse_args(argv)
    run(args.db, args.quick, args.rebuild, args.url)
    if not args.no_doc:
        from bench.report import write_report

        path = write_report()
        print(f"Rapport écrit : {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
