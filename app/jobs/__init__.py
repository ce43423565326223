"""Long jobs: queued in the ``job`` table, run by a background thread of the app.

A request queues a job (:func:`submit`) and answers at once with a progress
page; a daemon thread of the same process, in an application context and
sessions of its own, claims it and runs it. Jobs of one *lane* ("import",
"dump") run one at a time across every process: the claim is an ``UPDATE …
WHERE state = 'queued'`` and a unique index on the lane of running jobs makes
the database refuse a second one (another process's claim fails, its worker
waits and polls). A running job writes its progress and a heartbeat every few
seconds from a thread of its own; one whose heartbeat is older than
``JOBS_STALE_SECONDS`` died with its process and is marked interrupted at the
next claim or view.

The request waits ``JOBS_WAIT_SECONDS`` (1 s) for a short job: a small
file's preview comes at once, without a progress page. With
``JOBS_RUN_INLINE`` (tests) :func:`submit` starts the same thread and waits
for it: the job runs exactly as in production, the request answers after.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.db import WRITE_OPTION
from app.extensions import db
from app.history.actor import Actor, acting_as
from app.models.base import utcnow
from app.models.jobs import Job, JobState
from app.timezone import PARIS

log = logging.getLogger(__name__)

#: Shown when a job fails on an unexpected error (the traceback is logged).
INTERNAL_ERROR = (
    "Le travail a échoué à cause d'une erreur interne ; elle a été consignée. "
    "Rien n'a été enregistré."
)
INTERRUPTED = (
    "Le travail a été interrompu (le serveur s'est arrêté pendant qu'il tournait) : "
    "rien n'a été enregistré. Relancez-le."
)


class JobFailed(Exception):
    """A job that cannot finish, with the French message for the person."""


@dataclass
class Lane:
    name: str
    #: « Un autre import est en cours (lancé par {who} à {at}) ; le vôtre … »
    waiting: str


@dataclass
class Runner:
    kind: str
    lane: str
    #: What the progress counts ("lignes", "tables").
    unit: str
    run: Callable[[JobContext], str | None]
    #: What the job does, in French, for the list of jobs.
    label: str = ""


LANES: dict[str, Lane] = {}
RUNNERS: dict[str, Runner] = {}


def register_lane(name: str, waiting: str) -> None:
    LANES[name] = Lane(name, waiting)


def register(kind: str, lane: str, unit: str, label: str = ""):
    """Decorator: ``run(ctx) -> result`` runs jobs of ``kind`` in ``lane``."""

    def wrap(run):
        RUNNERS[kind] = Runner(kind, lane, unit, run, label or kind)
        return run

    return wrap


@dataclass
class JobContext:
    """What a runner sees: its parameters, who asked, and where to say progress.

    Progress stays in memory; the heartbeat thread writes it (a write from the
    runner's thread could wait for the lock its own transaction holds).
    """

    job_id: int
    payload: dict
    actor: Actor
    done: int = 0
    total: int | None = None
    message: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start_phase(self, message: str, total: int | None) -> None:
        with self._lock:
            self.message, self.total, self.done = message, total, 0

    def say(self, message: str) -> None:
        with self._lock:
            self.message = message

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "done_count": self.done,
                "total_count": self.total,
                "message": self.message,
            }


# ------------------------------------------------------------- sessions
def _writer() -> Session:
    """A session whose transactions take SQLite's write lock at BEGIN."""
    return Session(db.engine.execution_options(**{WRITE_OPTION: True}))


def _reader() -> Session:
    return Session(db.engine.execution_options(**{WRITE_OPTION: False}))


def get_job(job_id: int) -> Job | None:
    """The job as stored now (a fresh read, detached from any session)."""
    with _reader() as session:
        job = session.get(Job, job_id)
        if job is not None:
            session.expunge(job)
        session.rollback()
        return job


def jobs_dir() -> Path:
    """Where jobs leave their files (the dump's ZIP): instance/jobs/."""
    path = Path(current_app.instance_path) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def purge_files(now: float | None = None) -> None:
    """Delete the files of jobs finished longer ago than JOBS_FILE_MAX_AGE_SECONDS."""
    limit = (now or time.time()) - current_app.config["JOBS_FILE_MAX_AGE_SECONDS"]
    for path in jobs_dir().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            continue


# ------------------------------------------------------------- queue
def submit(kind: str, payload: dict, actor: Actor) -> int:
    """Queue a job of ``kind`` for ``actor``; return its id.

    The caller's own transaction must not hold SQLite's write lock (commit it
    first): the job's rows are written by sessions of their own.
    """
    runner = RUNNERS[kind]
    with _writer() as session, session.begin():
        job = Job(
            kind=kind,
            lane=runner.lane,
            payload=json.dumps(payload, ensure_ascii=False),
            user_id=actor.id,
            started_by=actor.label[:254],
            message="En attente de son tour.",
        )
        session.add(job)
        session.flush()
        job_id = job.id
    app = current_app._get_current_object()
    worker = kick(app, runner.lane)
    if app.config.get("JOBS_RUN_INLINE") and worker is not None:
        worker.join()
        return job_id
    # A short job (a small file) is over before the progress page would show.
    deadline = time.monotonic() + app.config.get("JOBS_WAIT_SECONDS", 0)
    while time.monotonic() < deadline:
        time.sleep(0.05)
        job = get_job(job_id)
        if job is None or job.finished:
            break
    return job_id


def _stale_condition():
    stale = utcnow() - timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])
    return sa.and_(Job.state == JobState.running, Job.heartbeat_at < stale)


def recover_stale() -> int:
    """Mark interrupted the running jobs whose process stopped giving news.

    Looks first with a read: the write (SQLite's lock) only when one is found,
    so that progress pages and waiting workers never queue behind an import's
    write transaction.
    """
    with _reader() as session:
        found = session.execute(sa.select(Job.id).where(_stale_condition())).first()
        session.rollback()
    if found is None:
        return 0
    with _writer() as session, session.begin():
        result = session.execute(
            sa.update(Job)
            .where(_stale_condition())
            .values(
                state=JobState.interrupted,
                finished_at=utcnow(),
                error=INTERRUPTED,
                message=None,
            )
        )
    return result.rowcount


def claim_next(lane: str) -> int | None:
    """Claim the oldest queued job of ``lane``; None if none, or one runs already."""
    recover_stale()
    while True:
        with _reader() as session:
            running = session.execute(
                sa.select(Job.id)
                .where(Job.lane == lane, Job.state == JobState.running)
                .limit(1)
            ).first()
            job_id = session.execute(
                sa.select(sa.func.min(Job.id)).where(
                    Job.lane == lane, Job.state == JobState.queued
                )
            ).scalar()
            session.rollback()
        if running is not None or job_id is None:
            return None  # nothing to write while another job holds the lane
        now = utcnow()
        try:
            with _writer() as session, session.begin():
                claimed = session.execute(
                    sa.update(Job)
                    .where(Job.id == job_id, Job.state == JobState.queued)
                    .values(
                        state=JobState.running,
                        started_at=now,
                        heartbeat_at=now,
                        message="Démarrage…",
                    )
                ).rowcount
        except IntegrityError:  # another process claimed one of the lane first
            return None
        if claimed:
            return job_id
        # Another process claimed this one first: look at the next.


def blocking_job(job: Job) -> Job | None:
    """The job of the same lane that ``job`` waits for (running, or queued before)."""
    with _reader() as session:
        other = session.execute(
            sa.select(Job)
            .where(
                Job.lane == job.lane,
                Job.id != job.id,
                sa.or_(
                    Job.state == JobState.running,
                    sa.and_(Job.state == JobState.queued, Job.id < job.id),
                ),
            )
            .order_by(Job.state.desc(), Job.id)  # "running" before "queued"
            .limit(1)
        ).scalar()
        if other is not None:
            session.expunge(other)
        session.rollback()
        return other


def waiting_message(job: Job) -> str | None:
    """« Un autre import est en cours (lancé par … à HH:MM) ; le vôtre attend son tour. »"""
    if job.state is not JobState.queued:
        return None
    other = blocking_job(job)
    lane = LANES.get(job.lane)
    if other is None or lane is None:
        return None
    at = other.started_at or other.created_at
    return lane.waiting.format(
        who=other.started_by, at=at.astimezone(PARIS).strftime("%H:%M")
    )


def refresh(job_id: int) -> Job | None:
    """The job after marking it interrupted if it died, and with a worker if queued."""
    try:
        recover_stale()
    except OperationalError:  # the lock is busy: the page shows the job as it is
        log.warning("Stale jobs not looked at (database busy)")
    job = get_job(job_id)
    if job is not None and job.state is JobState.queued:
        # Its worker may have died with another process: this one takes over.
        kick(current_app._get_current_object(), job.lane)
    return job


# ------------------------------------------------------------- workers
_workers: dict[tuple[int, str], threading.Thread] = {}
_workers_lock = threading.Lock()


def kick(app: Flask, lane: str) -> threading.Thread | None:
    """Make sure a worker thread of this process serves ``lane``; return it."""
    key = (id(app), lane)
    with _workers_lock:
        worker = _workers.get(key)
        if worker is None or not worker.is_alive():
            worker = threading.Thread(
                target=_serve, args=(app, lane), name=f"job-{lane}", daemon=True
            )
            _workers[key] = worker
            worker.start()
        return worker


def _queued(lane: str) -> bool:
    with _reader() as session:
        found = session.execute(
            sa.select(Job.id)
            .where(Job.lane == lane, Job.state == JobState.queued)
            .limit(1)
        ).first()
        session.rollback()
        return found is not None


def _serve(app: Flask, lane: str) -> None:
    """Run the lane's queued jobs one after the other, then stop."""
    key = (id(app), lane)
    with app.app_context():
        while True:
            try:
                job_id = claim_next(lane)
            except OperationalError:  # database busy or gone: try again later
                log.exception("Could not claim a job of lane %s", lane)
                job_id = None
            if job_id is not None:
                try:
                    _run(app, job_id)
                except Exception:  # the worker goes on with the next job
                    log.exception("Job %s could not be run", job_id)
                continue
            # Deciding to stop under the lock: a job queued meanwhile finds
            # either this worker still serving or no worker (and starts one).
            with _workers_lock:
                if not _queued(lane):
                    if _workers.get(key) is threading.current_thread():
                        del _workers[key]
                    return
            time.sleep(app.config["JOBS_POLL_SECONDS"])


def _finish(job_id: int, state: JobState, **values) -> None:
    """Write the outcome; a busy database is tried again (the work is done)."""
    for attempt in range(5):
        try:
            with _writer() as session, session.begin():
                session.execute(
                    sa.update(Job)
                    .where(Job.id == job_id, Job.state == JobState.running)
                    .values(
                        state=state,
                        finished_at=utcnow(),
                        heartbeat_at=utcnow(),
                        **values,
                    )
                )
            return
        except OperationalError:
            log.warning("Job %s: outcome not written yet (database busy)", job_id)
            time.sleep(1 + attempt)
    log.error("Job %s: outcome %s lost; it will show as interrupted", job_id, state)


def _heartbeat(app: Flask, ctx: JobContext, stop: threading.Event) -> None:
    with app.app_context():
        while not stop.wait(app.config["JOBS_HEARTBEAT_SECONDS"]):
            try:
                with _writer() as session, session.begin():
                    session.execute(
                        sa.update(Job)
                        .where(Job.id == ctx.job_id, Job.state == JobState.running)
                        .values(heartbeat_at=utcnow(), **ctx.snapshot())
                    )
            except OperationalError:  # the lock is busy: the next beat will do
                log.warning("Job %s: heartbeat skipped (database busy)", ctx.job_id)


def _run(app: Flask, job_id: int) -> None:
    job = get_job(job_id)
    runner = RUNNERS.get(job.kind)
    ctx = JobContext(
        job_id, json.loads(job.payload or "{}"), Actor(job.user_id, job.started_by)
    )
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(app, ctx, stop), name=f"job-{job_id}-beat", daemon=True
    )
    beat.start()
    try:
        if runner is None:
            raise JobFailed("Ce type de travail n'existe plus.")
        # A fresh application context: the job's own db.session.
        with app.app_context(), acting_as(ctx.actor.label):
            result = runner.run(ctx)
    except JobFailed as exc:
        stop.set()
        beat.join()
        _finish(job_id, JobState.failed, error=str(exc), **ctx.snapshot())
        return
    except Exception:
        stop.set()
        beat.join()
        log.exception("Job %s (%s) failed", job_id, job.kind)
        _finish(job_id, JobState.failed, error=INTERNAL_ERROR, **ctx.snapshot())
        return
    stop.set()
    beat.join()
    _finish(job_id, JobState.done, result=result, **ctx.snapshot())
