"""Issue 22: an import through its jobs — how soon the request answers, how long
the job runs, and how a lecteur's list page answers meanwhile.

    python -m bench.jobs --rows 100000
    python -m bench.jobs --rows 100000 --url postgresql://…/cdpl_bench_jobs

A fresh database (a temporary SQLite file, or ``--url``: an empty PostgreSQL
database, never real data), an éditeur and a lecteur logged in through the
login form, and the import screen driven through Flask's test client with the
jobs in their real background thread (``JOBS_RUN_INLINE`` off): upload
(``POST``), then the progress page reloaded every 0.5 s until it leads on, and
between two reloads the lecteur opens the member list. Same for the confirm.
Prints one line per step.
"""

from __future__ import annotations

import argparse
import io
import re
import tempfile
import time

from app import create_app
from app.models.accounts import Role
from bench.server import staff_client

JOB_PAGE = re.compile(r"/admin/jobs/\d+/$")
MAPPING = re.compile(
    r'name="col-(\d+)".*?(?:<option value="([a-z_]+)" selected>|</select>)', re.S
)


def _follow(editor, reader, response, label: str):
    """Reload the job's page until it leads on; time the lecteur's list meanwhile."""
    started, slowest, loads = time.monotonic(), 0.0, 0
    while JOB_PAGE.search(response.headers.get("Location") or ""):
        location = response.headers["Location"]
        while True:
            before = time.monotonic()
            assert reader.get("/admin/member/").status_code == 200
            slowest, loads = max(slowest, time.monotonic() - before), loads + 1
            response = editor.get(location)
            if response.status_code == 302:
                break
            time.sleep(0.5)
    print(
        f"{label} : travail fini {time.monotonic() - started:.1f} s après la réponse ; "
        f"liste du lecteur ouverte {loads} fois, au plus {slowest:.2f} s"
    )
    return response


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--url", default="")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="cdpl-bench-jobs-")
    app = create_app(
        {
            "SECRET_KEY": "bench-" + "x" * 48,
            "SQLALCHEMY_DATABASE_URI": args.url or f"sqlite:///{tmp}/bench.sqlite3",
            "WTF_CSRF_ENABLED": False,
            "AUTO_MIGRATE": True,
            "SERVER_NAME": "localhost",
            "IMPORT_DIR": f"{tmp}/imports",
            "SETUP_TOKEN_PATH": f"{tmp}/setup_token",
        }
    )
    editor = staff_client(app, "ed@example.org", Role.editor)
    reader = staff_client(app, "rd@example.org", Role.reader)
    body = "Prénom;Nom;Courriel\n" + "".join(
        f"P{i};N{i};m{i}@exemple.fr\n" for i in range(args.rows)
    )
    started = time.monotonic()
    response = editor.post(
        "/admin/imports/",
        data={"kind": "membres", "file": (io.BytesIO(body.encode()), "membres.csv")},
        content_type="multipart/form-data",
    )
    print(f"{args.rows} lignes — envoi : réponse en {time.monotonic() - started:.2f} s")
    review = _follow(editor, reader, response, "analyse").headers["Location"]
    page = editor.get(review).get_data(as_text=True)
    form = {"action": "confirm"} | {f"col-{i}": k for i, k in MAPPING.findall(page)}
    started = time.monotonic()
    response = editor.post(review, data=form)
    print(f"confirmation : réponse en {time.monotonic() - started:.2f} s")
    _follow(editor, reader, response, "confirmation")


if __name__ == "__main__":
    main()
