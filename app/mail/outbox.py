"""The outbox: messages written with the action that causes them, delivered later.

- ``queue`` adds a message to the current transaction (nothing is sent yet);
- ``deliver_pending`` claims due messages, sends them and records the outcome,
  each step in a transaction of its own;
- a message is claimed by one sender only: on PostgreSQL with
  ``SELECT … FOR UPDATE SKIP LOCKED``, on SQLite because every transaction opens
  with ``BEGIN IMMEDIATE`` (app/db.py), which serialises the claims;
- a claim older than ``MAIL_STUCK_MINUTES`` is a sender that crashed: the message
  goes back to the queue.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.history import current_actor
from app.mail.settings import smtp_settings
from app.models import (
    Meeting,
    Member,
    MessagePurpose,
    MessageState,
    OutboxAttachment,
    OutboxMessage,
)
from app.models.base import utcnow
from app.models.mail import QUEUED_STATES

if TYPE_CHECKING:
    from app.mail import smtp

log = logging.getLogger(__name__)

#: Delay before each new attempt after a temporary failure (1st, 2nd, …).
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
#: After this many attempts a temporary failure becomes permanent.
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
#: Session flag: the transaction queued messages, wake the sender after commit.
QUEUED_KEY = "cdpl_mail_queued"


class MailInputError(ValueError):
    """A subject or a name that cannot go in a header (the message is French)."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


def check_header_text(text: str, what: str = "Le sujet") -> str:
    """Refuse line breaks (header injection) with a French message; trim spaces."""
    if "\r" in (text or "") or "\n" in (text or ""):
        raise MailInputError(f"{what} ne peut pas contenir de retour à la ligne.")
    return (text or "").strip()


def address_problem(address: str | None) -> str | None:
    """French reason why ``address`` cannot receive mail, or None."""
    if not address:
        return "Pas d'adresse courriel."
    # Loaded where used, as in app.normalisers.normalise_email.
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return "Adresse courriel invalide."
    return None


def queue(
    *,
    to_address: str,
    subject: str,
    body: str,
    purpose: MessagePurpose = MessagePurpose.other,
    to_name: str | None = None,
    meeting: Meeting | None = None,
    member: Member | None = None,
    attachments: Iterable[Attachment] = (),
) -> OutboxMessage:
    """Add a message to the current transaction; it leaves after the commit.

    An invalid address is recorded at once as a permanent failure (so the
    screen and the member's failure count show it) instead of being sent.
    """
    subject = check_header_text(subject)
    address = (to_address or "").strip().lower()
    message = OutboxMessage(
        purpose=purpose,
        to_address=address,
        to_name=" ".join((to_name or "").split())[:200] or None,
        subject=subject[:255],
        body=body,
        meeting=meeting,
        member=member,
        created_by=current_actor().label[:254],
        next_attempt_at=utcnow(),
    )
    for item in attachments:
        message.attachments.append(
            OutboxAttachment(
                filename=item.filename,
                content_type=item.content_type,
                content=item.content,
            )
        )
    problem = address_problem(address)
    if problem:
        message.state = MessageState.permanent_failure
        message.last_error = problem
        message.next_attempt_at = None
    db.session.add(message)
    db.session.info[QUEUED_KEY] = True
    return message


def resend(message: OutboxMessage) -> bool:
    """Put a failed (or sent) message back in the queue; False if it cannot be."""
    if message.state in (MessageState.pending, MessageState.sending):
        return False
    if message.purged_at is not None:
        return False
    message.state = MessageState.pending
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.last_error = None
    message.claimed_at = None
    db.session.info[QUEUED_KEY] = True
    return True


# ----- delivery ---------------------------------------------------------------
def recover_stuck() -> int:
    """Messages left "envoi en cours" by a sender that crashed go back to the queue."""
    minutes = int(current_app.config.get("MAIL_STUCK_MINUTES") or 15)
    limit = utcnow() - timedelta(minutes=minutes)
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.state == MessageState.sending,
            OutboxMessage.claimed_at < limit,
        )
        .values(
            state=MessageState.temporary_failure,
            claimed_at=None,
            next_attempt_at=utcnow(),
            last_error="Envoi interrompu (arrêt du programme d'envoi) : "
            "le message est remis en file.",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def claim(limit: int) -> list[int]:
    """Take up to ``limit`` due messages for this sender, in one transaction."""
    now = utcnow()
    stmt = (
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.state.in_(QUEUED_STATES),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Another sender's claimed rows are skipped, not waited for.
        stmt = stmt.with_for_update(skip_locked=True)
    messages = list(db.session.execute(stmt).scalars())
    for message in messages:
        message.state = MessageState.sending
        message.claimed_at = now
        message.attempts = (message.attempts or 0) + 1
    ids = [m.id for m in messages]
    db.session.commit()
    return ids


def record(message: OutboxMessage, outcome: smtp.Outcome) -> None:
    """Write a delivery outcome (the caller commits)."""
    now = utcnow()
    message.claimed_at = None
    if outcome.ok:
        message.state = MessageState.sent
        message.sent_at = now
        message.next_attempt_at = None
        message.last_error = None
        return
    message.last_error = outcome.error[:500]
    if outcome.permanent or (message.attempts or 0) >= MAX_ATTEMPTS:
        message.state = MessageState.permanent_failure
        message.next_attempt_at = None
        if not outcome.permanent:
            message.last_error = (
                f"Abandon après {message.attempts} tentatives. {outcome.error}"
            )[:500]
        return
    message.state = MessageState.temporary_failure
    delay = RETRY_DELAYS[min(max(message.attempts, 1), len(RETRY_DELAYS)) - 1]
    message.next_attempt_at = now + delay


@dataclass
class DeliveryReport:
    sent: int = 0
    temporary: int = 0
    permanent: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.temporary + self.permanent


def deliver_pending(max_batches: int | None = None) -> DeliveryReport:
    """Send every due message, batch after batch; returns what happened.

    With no SMTP configured nothing is claimed: messages wait.
    """
    settings = smtp_settings()
    report = DeliveryReport()
    if not settings.configured:
        return report
    report.recovered = recover_stuck()
    # smtplib and the e-mail header classes (~0.7 MB resident) are loaded by
    # the first delivery, not at start-up with the outbox that queues messages.
    from app.mail import smtp

    batches = 0
    with smtp.SmtpConnection(settings) as conn:
        while max_batches is None or batches < max_batches:
            ids = claim(settings.batch_size)
            if not ids:
                break
            batches += 1
            for position, message_id in enumerate(ids):
                if position and settings.pause_seconds:
                    time.sleep(settings.pause_seconds)
                message = db.session.get(OutboxMessage, message_id)
                try:
                    email = smtp.build_email(message, settings)
                except (ValueError, TypeError) as exc:
                    email = None
                    outcome = smtp.Outcome(
                        False, True, f"Message impossible à construire : {exc}"[:480]
                    )
                else:
                    if message.message_id is None:
                        message.message_id = email["Message-ID"]
                # End the transaction before talking to the server: on SQLite it
                # holds the write lock, which a slow server would keep from the
                # web requests for the whole conversation.
                db.session.commit()
                if email is not None:
                    outcome = conn.send(email)
                record(message, outcome)
                db.session.commit()
                if outcome.ok:
                    report.sent += 1
                elif message.state == MessageState.permanent_failure:
                    report.permanent += 1
                    report.errors.append(f"{message.to_address} : {outcome.error}")
                else:
                    report.temporary += 1
                    report.errors.append(f"{message.to_address} : {outcome.error}")
    return report


def waiting_count() -> int:
    """Messages not yet sent that will be tried again."""
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.state.in_((*QUEUED_STATES, MessageState.sending)))
    ).scalar_one()


# ----- retention ----------------------------------------------------------------
def bodies_due_condition() -> sa.ColumnElement[bool]:
    """Messages whose body and attachments are past the retention period."""
    months = int(current_app.config.get("MAIL_BODY_RETENTION_MONTHS") or 12)
    limit = utcnow() - timedelta(days=round(months * 30.44))
    return sa.and_(
        OutboxMessage.created_at < limit,
        OutboxMessage.purged_at.is_(None),
        OutboxMessage.state.in_((MessageState.sent, MessageState.permanent_failure)),
    )


def purge_bodies() -> int:
    """Empty the body and attachments of messages older than the retention period."""
    messages = db.session.execute(
        sa.select(OutboxMessage).where(bodies_due_condition())
    ).scalars()
    count = 0
    now = utcnow()
    for message in messages:
        message.body = None
        message.attachments.clear()
        message.purged_at = now
        count += 1
    db.session.commit()
    return count


# ----- failures per address -----------------------------------------------------
@dataclass
class AddressHealth:
    address: str
    permanent: int = 0
    temporary: int = 0
    flagged: bool = False


def address_health(address: str | None) -> AddressHealth | None:
    """Failures of an address since its last successful delivery."""
    if not address:
        return None
    address = address.strip().lower()
    last_sent = db.session.execute(
        sa.select(sa.func.max(OutboxMessage.sent_at)).where(
            OutboxMessage.to_address == address,
            OutboxMessage.state == MessageState.sent,
        )
    ).scalar_one()
    stmt = (
        sa.select(OutboxMessage.state, sa.func.count())
        .where(
            OutboxMessage.to_address == address,
            OutboxMessage.state.in_(
                (MessageState.permanent_failure, MessageState.temporary_failure)
            ),
        )
        .group_by(OutboxMessage.state)
    )
    if last_sent is not None:
        stmt = stmt.where(OutboxMessage.created_at > last_sent)
    health = AddressHealth(address)
    for state, count in db.session.execute(stmt):
        if state == MessageState.permanent_failure:
            health.permanent = count
        else:
            health.temporary = count
    threshold = int(current_app.config.get("MAIL_FLAG_AFTER_FAILURES") or 3)
    health.flagged = health.permanent >= threshold
    return health
