"""The queue of jobs: runners and lanes, claims, recovery, who waits for whom."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import WRITE_OPTION
from app.extensions import db
from app.history.actor import Actor
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
def writing_session() -> Session:
    """A session whose transactions take SQLite's write lock at BEGIN."""
    return Session(db.engine.execution_options(**{WRITE_OPTION: True}))


def reading_session() -> Session:
    return Session(db.engine.execution_options(**{WRITE_OPTION: False}))


def get_job(job_id: int) -> Job | None:
    """The job as stored now (a fresh read, detached from any session)."""
    with reading_session() as session:
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


def _stale_condition():
    stale = utcnow() - timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])
    return sa.and_(Job.state == JobState.running, Job.heartbeat_at < stale)


def recover_stale() -> int:
    """Mark interrupted the running jobs whose process stopped giving news.

    Looks first with a read: the write (SQLite's lock) only when one is found,
    so that progress pages and waiting workers never queue behind an import's
    write transaction.
    """
    with reading_session() as session:
        found = session.execute(sa.select(Job.id).where(_stale_condition())).first()
        session.rollback()
    if found is None:
        return 0
    with writing_session() as session, session.begin():
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
        with reading_session() as session:
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
            with writing_session() as session, session.begin():
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
    with reading_session() as session:
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
