"""4 processes x 40 read-modify-write transactions: no lost update, no lock error.

Each worker builds the app with ``create_app`` (so the engine configuration is
the application's own: WAL, busy_timeout and BEGIN IMMEDIATE on SQLite, the
version check on every UPDATE everywhere) and increments one counter through
``db.session``; a save refused by the version check is retried, as a person
would after the French conflict message.
"""

from __future__ import annotations

import multiprocessing

import sqlalchemy as sa

from app.models import ChangeKind, ChangeLog, College

PROCESSES = 4
TRANSACTIONS = 40


def _worker(config: dict, college_id: int, queue) -> None:
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    from app import create_app
    from app.extensions import db
    from app.history import acting_as

    app = create_app(config)
    done = retries = locked = other = 0
    with app.app_context(), acting_as("concurrency-test"):
        while done < TRANSACTIONS:
            try:
                college = db.session.get(College, college_id)
                college.position = college.position + 1
                db.session.commit()
                done += 1
            except StaleDataError:
                db.session.rollback()
                retries += 1
            except OperationalError as exc:
                db.session.rollback()
                if "locked" in str(exc):
                    locked += 1
                else:
                    other += 1
                if locked + other > 20:
                    break
        db.engine.dispose()
    queue.put({"done": done, "retries": retries, "locked": locked, "other": other})


def test_no_lost_update_and_no_lock_error(app, db):
    college = College(name="Compteur", position=0)
    db.session.add(college)
    db.session.commit()
    college_id = college.id
    db.session.remove()  # release the connection: SQLite transactions lock writers

    config = {
        key: app.config[key]
        for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")
    }
    config["AUTO_MIGRATE"] = False
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(config, college_id, queue))
        for _ in range(PROCESSES)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0

    final = db.session.get(College, college_id).position
    expected = PROCESSES * TRANSACTIONS
    lost = expected - final
    print(
        f"\nconcurrency: {expected} transactions, final={final}, lost={lost}, "
        f"retries={sum(r['retries'] for r in results)}, "
        f"locked={sum(r['locked'] for r in results)}"
    )
    assert sum(r["done"] for r in results) == expected
    assert sum(r["locked"] for r in results) == 0
    assert sum(r["other"] for r in results) == 0
    assert lost == 0
    # Every increment is in the history, each from the value the previous left.
    changes = (
        db.session.execute(
            sa.select(ChangeLog.changes).where(
                ChangeLog.record_type == "college",
                ChangeLog.record_id == college_id,
                ChangeLog.kind == ChangeKind.update,
            )
        )
        .scalars()
        .all()
    )
    assert sorted(c["position"][0] for c in changes) == list(range(expected))
