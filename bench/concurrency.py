"""Concurrent clients and process memory (issue 21).

For 1 and 2 server processes (bench/server.py, 4 waitress threads each), 8
clients, each with its own login and keep-alive connection, run for 10 s:

- ``liste``: the member list, page 1;
- ``fiche``: a member's details page;
- ``mixte``: each client in turn reads the list, reads the details page and
  changes one attendance on a meeting of its own (the attendance screen's
  form, as a person submits it).

Reported per run: requests/s, p50, p99, errors (HTTP status >= 400 or no
answer), and for the mixed run the writes acknowledged, the writes found in
the change log afterwards (the difference is the lost writes) and the
"database is locked" lines of the server's log.

Memory: the resident size of the one-process server after start-up (its
first answer), after logging in and reading the member list, and after each
of 6 CSV exports of the attendance list (with its peak during the export).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from app.config import normalise_database_url
from bench import dataset
from bench.auth import login
from bench.client import Session
from bench.measure import cpu_seconds, free_port, measure_export, percentile, rss_kb
from bench.server import wait_until_answering

CLIENTS = 8
SECONDS = 10.0
WORKERS = (1, 2)
EXPORTS = 6
RADIO_RE = re.compile(
    r'<input type="radio" name="(status-\d+)" value="(\w*)"[^>]*?(checked)?\s*>', re.S
)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')


class Server:
    """bench/server.py in a subprocess, with its log kept for the lock errors."""

    def __init__(self, url: str, env: dict, workers: int, log: Path):
        self.port = free_port()
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", url, str(self.port), str(workers)],
            cwd=dataset.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(log, "w"),
        )
        wait_until_answering(self.proc, self.port, "/connexion", seconds=120)
        self.rss_after_start_mb = round(rss_kb(self.proc.pid) / 1024, 1)

    def session(self, env: dict, create_account: bool = False) -> Session:
        session = Session("127.0.0.1", self.port, timeout=60)
        login(session, env, create_account=create_account)
        return session

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes."""
        pids = [self.proc.pid]
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
            pids += [int(x) for x in children.read_text().split()]
        except OSError:
            pass
        return sum(cpu_seconds(pid) for pid in pids)

    def locked_errors(self) -> int:
        return self.log.read_text(errors="replace").count("database is locked")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _attendance_form(session: Session, meeting_id: int) -> tuple[str, dict, str]:
    """The attendance form of a meeting as it stands: (path, fields, toggled name)."""
    path = f"/admin/meeting/attendance/?id={meeting_id}"
    html = session.get(path).text
    fields: dict[str, str] = {}
    for name, value, checked in RADIO_RE.findall(html):
        fields.setdefault(name, "")
        if checked:
            fields[name] = value
    token = CSRF_RE.search(html)
    if token:
        fields["csrf_token"] = token.group(1)
    target = next((n for n, v in fields.items() if v == "present"), None)
    if target is None:
        raise RuntimeError(f"aucune présence à modifier sur la réunion {meeting_id}")
    return path, fields, target


def _client(action, stop_at: float, out: dict) -> None:
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        try:
            status = action()
        except Exception:  # noqa: BLE001 - a timeout or a dropped connection
            status = None
        out["times"].append((time.perf_counter() - started) * 1000)
        if status is None or status >= 400:
            out["errors"] += 1


def _run(actions: list, seconds: float) -> dict:
    outs = [{"times": [], "errors": 0} for _ in actions]
    stop_at = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=_client, args=(a, stop_at, o))
        for a, o in zip(actions, outs, strict=True)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    times = [x for o in outs for x in o["times"]]
    return {
        "requests": len(times),
        "rps": round(len(times) / elapsed, 1),
        "p50_ms": round(percentile(times, 50), 1),
        "p99_ms": round(percentile(times, 99), 1),
        "errors": sum(o["errors"] for o in outs),
    }


def _change_log_count(url: str) -> int:
    engine = sa.create_engine(normalise_database_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT count(*) FROM change_log WHERE record_type = 'attendance'"
                )
            ).scalar_one()
    finally:
        engine.dispose()


def _pick(url: str) -> tuple[int, list[int]]:
    """A member in the middle, and one meeting with attendances per client."""
    engine = sa.create_engine(normalise_database_url(url))
    try:
        with engine.connect() as conn:
            ids = conn.execute(sa.text("SELECT id FROM member ORDER BY id")).scalars()
            ids = list(ids)
            meetings = list(
                conn.execute(
                    # Working-group meetings: a roster of a few people (a
                    # plenary's lists every member, thousands at 100x).
                    sa.text(
                        "SELECT a.meeting_id FROM attendance a "
                        "JOIN meeting m ON m.id = a.meeting_id "
                        "WHERE a.status = 'present' AND m.group_id IS NOT NULL "
                        "GROUP BY a.meeting_id ORDER BY a.meeting_id"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()
    step = max(len(meetings) // (CLIENTS + 1), 1)
    return ids[len(ids) // 2], [meetings[step * (i + 1)] for i in range(CLIENTS)]


def run_concurrency(url: str, env: dict, seconds: float = SECONDS, log=print) -> list:
    member_id, meetings = _pick(url)
    details = f"/admin/member/details/?id={member_id}"
    results = []
    for workers in WORKERS:
        server = Server(url, env, workers, dataset.OUT / f"server-conc-{workers}.log")
        try:
            sessions = [server.session(env, i == 0) for i in range(CLIENTS)]
            for s in sessions:  # warm every worker's caches and pool
                s.get("/admin/member/")
            scenarios = {
                "liste": [lambda s=s: s.get("/admin/member/").status for s in sessions],
                "fiche": [lambda s=s: s.get(details).status for s in sessions],
            }
            states = []
            mixed = []
            for session, meeting in zip(sessions, meetings, strict=True):
                path, fields, target = _attendance_form(session, meeting)
                state = {"step": 0, "fields": fields, "sent": 0, "acked": 0}
                states.append(state)

                def act(session=session, path=path, target=target, state=state):
                    step = state["step"] % 3
                    state["step"] += 1
                    if step == 0:
                        return session.get("/admin/member/").status
                    if step == 1:
                        return session.get(details).status
                    data = dict(state["fields"])
                    data[target] = "excused" if data[target] == "present" else "present"
                    state["sent"] += 1
                    response = session.post(path, data, follow=False)
                    if response.status != 302:
                        return max(response.status, 400)  # refused: an error
                    state["acked"] += 1
                    state["fields"] = data
                    return response.status

                mixed.append(act)
            scenarios["mixte"] = mixed
            for name, actions in scenarios.items():
                before = _change_log_count(url) if name == "mixte" else None
                locked_before = server.locked_errors()
                cpu_before = server.cpu_seconds()
                result = _run(actions, seconds)
                cpu = server.cpu_seconds() - cpu_before
                # Server CPU per request: a figure the load of a shared
                # machine changes less than the wall-clock ones.
                result["cpu_ms"] = round(cpu * 1000 / max(result["requests"], 1), 1)
                result.update(
                    {"scenario": name, "workers": workers, "clients": CLIENTS}
                )
                result["locked"] = server.locked_errors() - locked_before
                if before is not None:
                    found = _change_log_count(url) - before
                    acked = sum(st["acked"] for st in states)
                    result.update(
                        writes_sent=sum(st["sent"] for st in states),
                        writes_acked=acked,
                        writes_found=found,
                        lost_writes=acked - found,
                    )
                log(
                    f"  {workers} processus, {name:<6} {result['rps']:6.1f} req/s  "
                    f"p50 {result['p50_ms']:7.1f}  p99 {result['p99_ms']:7.1f} ms  "
                    f"CPU {result['cpu_ms']:5.1f} ms/req  "
                    f"erreurs {result['errors']}  verrou {result['locked']}"
                    + (
                        f"  écritures {result['writes_acked']}/{result['writes_found']}"
                        if before is not None
                        else ""
                    )
                )
                results.append(result)
            for s in sessions:
                s.close()
        finally:
            server.stop()
    return results


def compare_lock(url: str, env: dict, rounds: int = 2, log=print) -> list:
    """Member list, 8 clients, 1 process: reads in BEGIN (now) or BEGIN IMMEDIATE
    (before issue 21), in interleaved rounds under the same machine load."""
    results = []
    for round_no in range(rounds):
        for immediate in (True, False):
            run_env = dict(env)
            if immediate:
                run_env["BENCH_IMMEDIATE_READS"] = "1"
            log_path = dataset.OUT / "server-compare.log"
            server = Server(url, run_env, 1, log_path)
            try:
                sessions = [server.session(env, False) for _ in range(CLIENTS)]
                for s in sessions:
                    s.get("/admin/member/")
                cpu_before = server.cpu_seconds()
                result = _run(
                    [lambda s=s: s.get("/admin/member/").status for s in sessions],
                    SECONDS,
                )
                cpu = server.cpu_seconds() - cpu_before
                result["cpu_ms"] = round(cpu * 1000 / max(result["requests"], 1), 1)
                result.update(
                    round=round_no + 1,
                    mode="BEGIN IMMEDIATE" if immediate else "BEGIN",
                    load=os.getloadavg()[0],
                )
                for s in sessions:
                    s.close()
            finally:
                server.stop()
            log(
                f"  tour {round_no + 1} {result['mode']:<16} {result['rps']:6.1f} "
                f"req/s  p50 {result['p50_ms']:7.1f}  p99 {result['p99_ms']:7.1f} ms"
            )
            results.append(result)
    return results


def run_memory(url: str, env: dict, log=print) -> dict:
    """Resident memory of the one-process server: start-up, first pages, exports."""
    server = Server(url, env, 1, dataset.OUT / "server-memory.log")
    try:
        pid = server.proc.pid
        session = server.session(env, True)
        session.get("/admin/member/")
        session.get("/admin/")
        after_pages = round(rss_kb(pid) / 1024, 1)
        exports = []
        for _ in range(EXPORTS):
            before = rss_kb(pid) / 1024
            result = measure_export(session, pid, "/admin/attendance/export/csv/")
            time.sleep(0.5)  # let the worker thread finish its record
            exports.append(
                {
                    "rows": result["rows"],
                    "seconds": result["seconds"],
                    "rss_mb": round(rss_kb(pid) / 1024, 1),
                    # Sampled while the file is produced and sent.
                    "peak_mb": round(before + result["rss_growth_mb"], 1),
                }
            )
        session.close()
    finally:
        server.stop()
    memory = {
        "after_start_mb": server.rss_after_start_mb,
        "after_pages_mb": after_pages,
        "exports": exports,
    }
    log(f"  mémoire : {memory}")
    return memory


def main() -> None:
    """Run only the concurrent and memory measurements (``python -m bench.concurrency``)."""
    from bench.run import main as run_main

    run_main(["--only-concurrency", *sys.argv[1:]])


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
