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
import time

from flask import current_app
from sqlalchemy.exc import OperationalError

from app.history.actor import Actor
from app.jobs.queue import (
    INTERNAL_ERROR,
    INTERRUPTED,
    LANES,
    PARIS,
    RUNNERS,
    JobContext,
    JobFailed,
    Lane,
    Runner,
    blocking_job,
    claim_next,
    get_job,
    jobs_dir,
    purge_files,
    recover_stale,
    register,
    register_lane,
    waiting_message,
    writing_session,
)
from app.jobs.workers import _workers, kick
from app.models.jobs import Job, JobState

log = logging.getLogger(__name__)

__all__ = [
    "INTERNAL_ERROR",
    "INTERRUPTED",
    "LANES",
    "PARIS",
    "RUNNERS",
    "JobContext",
    "JobFailed",
    "Lane",
    "Runner",
    "_workers",
    "blocking_job",
    "claim_next",
    "get_job",
    "jobs_dir",
    "kick",
    "purge_files",
    "recover_stale",
    "refresh",
    "register",
    "register_lane",
    "submit",
    "waiting_message",
]


def submit(kind: str, payload: dict, actor: Actor) -> int:
    """Queue a job of ``kind`` for ``actor``; return its id.

    The caller's own transaction must not hold SQLite's write lock (commit it
    first): the job's rows are written by sessions of their own.
    """
    runner = RUNNERS[kind]
    with writing_session() as session, session.begin():
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
