"""Measurements: latency, SQL queries, CPU, memory, exports, import, cold start."""

from __future__ import annotations

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
from pathlib import Path

from bench.client import Response, Session, forms, selected_values
from bench.dataset import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raise_priority() -> None:
    """``--priority``: this process, and the servers it starts, at nice -10
    (root only), to shield the measurements from other jobs on a shared
    machine."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, -10)  # inherited by the servers
    except PermissionError:
        print("--priority : droits insuffisants, priorité normale.")


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
        "p99_ms": round(percentile(times, 99), 1),
        "queries": max(queries) if queries else None,
        "status": status,
        "bytes": len(response.body),
    }


def measure_interleaved(
    session: Session, paths: list[str], repeat: int, pid: int, warmup: int = 2
) -> list[dict]:
    """``measure`` for pages to compare (a list's first page and its search),
    one request of each in turn, so that a change of the machine's load falls
    on both alike. CPU is the server's per path, summed request by request."""
    for _ in range(warmup):
        for path in paths:
            session.get(path, follow=False)
    times = {p: [] for p in paths}
    queries = {p: [] for p in paths}
    cpu = dict.fromkeys(paths, 0.0)
    last = {}
    for _ in range(repeat):
        for path in paths:
            cpu_before = cpu_seconds(pid)
            started = time.perf_counter()
            response = session.get(path, follow=False)
            times[path].append((time.perf_counter() - started) * 1000)
            cpu[path] += cpu_seconds(pid) - cpu_before
            last[path] = response
            if "x-query-count" in response.headers:
                queries[path].append(int(response.headers["x-query-count"]))
    return [
        {
            "cpu_ms": round(cpu[path] * 1000 / repeat, 1),
            "median_ms": round(statistics.median(times[path]), 1),
            "p95_ms": round(percentile(times[path], 95), 1),
            "p99_ms": round(percentile(times[path], 99), 1),
            "queries": max(queries[path]) if queries[path] else None,
            "status": last[path].status,
            "bytes": len(last[path].body),
            "interleaved": True,
        }
        for path in paths
    ]


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


def follow_job(session: Session, response: Response) -> Response:
    """Reload a job's progress page (as its meta refresh does) until it leads on."""
    deadline = time.monotonic() + 3600
    while re.search(r"/admin/jobs/\d+/$", response.url) and time.monotonic() < deadline:
        time.sleep(0.5)
        response = session.get(response.url)
    return response


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
    if "kind" in page.text:
        data["kind"] = "membres"  # the generic import screen asks what to import
    payload = members_csv(count)
    with RssSampler(pid) as rss:
        started = time.perf_counter()
        preview = session.post(
            attrs.get("action") or path,
            data,
            files={file_field: ("membres.csv", payload, "text/csv")},
        )
        preview = follow_job(session, preview)
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
            # Column mapping selects keep their pre-selected (auto-matched) value.
            c_data.update(selected_values(preview.text))
            c_data["action"] = "confirm"
            final = session.post(c_attrs.get("action") or preview.url or path, c_data)
            final = follow_job(session, final)
        seconds = time.perf_counter() - started
    return {
        "rows": count,
        "preview_s": round(previewed - started, 2),
        "seconds": round(seconds, 2),
        "status": final.status,
        "rss_growth_mb": round(rss.growth_mb, 1),
    }
