"""The threads that run jobs: one worker per lane and process, one heartbeat per job."""

from __future__ import annotations

import json
import logging
import threading
import time

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import OperationalError

from app.history.actor import Actor, acting_as
from app.jobs.queue import (
    INTERNAL_ERROR,
    RUNNERS,
    JobContext,
    JobFailed,
    claim_next,
    get_job,
    reading_session,
    writing_session,
)
from app.models.base import utcnow
from app.models.jobs import Job, JobState

log = logging.getLogger(__name__)

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
    with reading_session() as session:
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
            with writing_session() as session, session.begin():
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
                with writing_session() as session, session.begin():
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
