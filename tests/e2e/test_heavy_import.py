"""A large member import on the real server never keeps another account out
(issue 22, finding 1): while an éditeur uploads a file of many members (a job
reads and analyses every row) and then confirms it (a job: analysis again, then
the bulk writes), a lecteur logs in and opens a list, from another thread. Both
requests answer at once with the job's progress page, which the éditeur's
client reloads until it leads to the preview, then to the imported list.

No browser: HTTP clients (urllib) in two threads against the live server. The
number of rows is ``CDPL_E2E_IMPORT_ROWS`` (default 3,000, so that the test
runs in well under a minute on a busy machine; ``python -m bench.imports``
measures 100,000). The file is generated once per session in a temporary
folder.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
import threading
import time
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from app.auth.passwords import hash_password
from app.models import Member
from app.models.accounts import Role, User
from tests.e2e.test_hostile_upload import ANSWER_WITHIN_SECONDS, PASSWORD, Client

ROWS = int(os.environ.get("CDPL_E2E_IMPORT_ROWS", "3000"))


@pytest.fixture(scope="session")
def members_file(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("heavy-import") / "membres.csv"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Prénom", "Nom", "Courriel", "Commune"])
    for i in range(ROWS):
        writer.writerow([f"Prénom{i}", f"Nom{i}", f"m{i}@exemple.fr", "Lorient"])
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path.read_bytes()


def _login_and_list(base: str, email: str) -> float:
    client = Client(base)
    start = time.monotonic()
    client.login(email)
    assert "Membres" in client.get("/admin/member/")
    return time.monotonic() - start


class LockProbe:
    """On SQLite, the longest any other writer waited for the lock meanwhile."""

    def __init__(self, url: str) -> None:
        self.path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else None
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=600, isolation_level=None)
        while not self._stop.is_set():
            started = time.monotonic()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            self.longest = max(self.longest, time.monotonic() - started)
            self._stop.wait(0.1)
        conn.close()

    def __enter__(self):
        if self.path:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.path:
            self._thread.join()


def _while(base: str, email: str, work) -> tuple[list[float], dict]:
    """Run ``work`` in a thread; log in and open a list again and again meanwhile."""
    done: dict = {}

    def run() -> None:
        try:
            done["page"] = work()
        except Exception as exc:  # reported by the assertion below
            done["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    times = []
    try:
        time.sleep(0.3)  # the request is under way
        while thread.is_alive() or not times:
            times.append(_login_and_list(base, email))
    finally:
        thread.join(timeout=600)
    assert "error" not in done, done.get("error")
    return times, done


def test_lecteur_logs_in_during_a_large_import(
    live_server, e2e_db, e2e_database_url, members_file
):
    with e2e_db.session() as session:
        for role, name in ((Role.editor, "editor"), (Role.reader, "reader")):
            session.add(
                User(
                    email=f"{name}@example.org",
                    role=role,
                    active=True,
                    password_hash=hash_password(PASSWORD),
                )
            )
        session.commit()
    baseline = min(_login_and_list(live_server, "reader@example.org") for _ in (1, 2))
    editor = Client(live_server)
    editor.login("editor@example.org")

    # Upload: the file is read, then the review page analyses every row.
    landed: dict = {}

    def upload() -> str:
        page = editor.post(
            "/admin/imports/",
            {"kind": "membres"},
            files={"file": ("membres.csv", members_file)},
        )
        # The request answered at once with the job's progress page.
        landed["progress"] = page
        page = editor.follow_job(page)
        landed["url"] = editor.last_url
        return page

    times, done = _while(live_server, "reader@example.org", upload)
    assert "Import : en " in landed["progress"], landed["progress"][:2000]
    assert 'http-equiv="refresh"' in landed["progress"]
    review = done["page"]
    assert f"{ROWS} création(s)" in review, review[:2000]
    # Reading and analysing never take the write lock: logins go through.
    assert max(times) < baseline + ANSWER_WITHIN_SECONDS, (times, baseline)

    # Confirm: the analysis again, then the bulk writes in one transaction.
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', review).group(1)
    form = {"action": "confirm", "csrf_token": token}
    for index, key in re.findall(
        r'name="col-(\d+)".*?(?:<option value="([a-z_]+)" selected>|</select>)',
        review,
        flags=re.S,
    ):
        form[f"col-{index}"] = key

    def confirm() -> str:
        request = urllib.request.Request(
            landed["url"], data=urllib.parse.urlencode(form).encode()
        )
        with editor.opener.open(request, timeout=600) as response:
            editor.last_url = response.geturl()
            page = response.read().decode("utf-8")
        landed["confirming"] = page
        return editor.follow_job(page)

    with LockProbe(e2e_database_url) as lock:
        times, done = _while(live_server, "reader@example.org", confirm)
    assert "Import : en " in landed["confirming"], landed["confirming"][:2000]
    assert "Import terminé" in done["page"], done["page"][:2000]
    # A login may wait for the bulk writes (on SQLite; the probe measures how
    # long another writer waited), never for more. That the analysis before
    # them leaves the lock free is pinned without timing by
    # tests/test_import_bulk.py; how the wait compares with the whole confirm
    # depends on the machine and belongs to bench.imports.
    allowed = baseline + ANSWER_WITHIN_SECONDS + lock.longest
    assert max(times) < allowed, (times, baseline, lock.longest)
    with e2e_db.session() as session:
        count = session.execute(sa.select(sa.func.count(Member.id))).scalar()
    assert count == ROWS
