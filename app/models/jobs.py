"""Long jobs (import analysis and confirm, full dump) run outside the request."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import (
    LabelledEnum,
    UTCDateTime,
    enum_column,
    partial_index,
    utcnow,
)


class JobState(LabelledEnum):
    queued = "en attente"
    running = "en cours"
    done = "terminé"
    failed = "échoué"
    interrupted = "interrompu"


#: States a job never leaves.
FINISHED_STATES = (JobState.done, JobState.failed, JobState.interrupted)


class Job(db.Model):
    """One long job: who asked, where it stands, what it produced."""

    __tablename__ = "job"
    #: Bookkeeping of the tool itself: its rows are not the association's data.
    __history__ = False
    __label__ = "Travail en arrière-plan"
    __label_plural__ = "Travaux en arrière-plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the job does: a key of ``app.jobs`` runners ("import-analyse", "dump").
    kind: Mapped[str] = mapped_column(sa.String(40), info={"label": "Type"})
    #: Jobs of one lane run one at a time across every process ("import", "dump").
    lane: Mapped[str] = mapped_column(sa.String(40), info={"label": "File"})
    state: Mapped[JobState] = mapped_column(
        enum_column(JobState, "job_state"),
        default=JobState.queued,
        info={"label": "État"},
    )
    #: What the runner needs, as JSON text (the pending import's token...).
    payload: Mapped[str] = mapped_column(
        sa.Text, default="{}", info={"label": "Paramètres"}
    )
    done_count: Mapped[int] = mapped_column(
        sa.Integer, default=0, info={"label": "Fait"}
    )
    total_count: Mapped[int | None] = mapped_column(sa.Integer, info={"label": "Total"})
    #: Where the job stands, in French, for the person waiting.
    message: Mapped[str | None] = mapped_column(
        sa.String(500), info={"label": "Message"}
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"),
        info={"label": "Lancé par"},
    )
    #: E-mail of whoever started it, kept if the account is deleted.
    started_by: Mapped[str] = mapped_column(
        sa.String(254), info={"label": "Demandé par"}
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Demandé le"}
    )
    started_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Commencé le"}
    )
    finished_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Fini le"}
    )
    #: Last sign of life of the process running it: an old one means it died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Dernier signe de vie"}
    )
    #: What it produced: a pending import's token, a file in the instance folder.
    result: Mapped[str | None] = mapped_column(
        sa.String(500), info={"label": "Résultat"}
    )
    #: Why it failed, in French (the traceback goes to the log only).
    error: Mapped[str | None] = mapped_column(sa.Text, info={"label": "Erreur"})

    user = relationship("User", info={"label": "Lancé par"})

    __table_args__ = (
        sa.CheckConstraint("done_count >= 0", name="done_count_positive"),
        sa.Index("ix_job_state_lane", "state", "lane"),
        sa.Index("ix_job_user_id", "user_id"),
        sa.Index("ix_job_created_at", "created_at"),
        # The database itself keeps one running job per lane, whatever the
        # number of processes: a second claim fails on this index.
        partial_index(
            "uq_job_one_running_per_lane",
            "lane",
            unique=True,
            where="state = 'running'",
        ),
    )

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    def __str__(self) -> str:
        return f"{self.kind} n° {self.id} ({self.state.label if self.state else ''})"


__all__ = ["FINISHED_STATES", "Job", "JobState"]
