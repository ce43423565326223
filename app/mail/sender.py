"""Delivery right after the commit, in a background thread of the web process.

The request that queued messages never talks to the SMTP server: after its
commit it only starts (or nudges) one daemon thread per application, which
delivers with its own database session. If the process stops first, the
messages simply wait for ``cdpl-gestion send-mail``.
"""

from __future__ import annotations

import logging
import threading

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession

from app.extensions import db
from app.history import acting_as
from app.mail.outbox import QUEUED_KEY, deliver_pending
from app.mail.settings import smtp_settings

log = logging.getLogger(__name__)

#: Actor label of the changes the sender makes.
SENDER_ACTOR = "envoi des courriels"


class BackgroundSender:
    """One delivery thread at a time; a nudge while it runs makes it loop once more."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.again = False

    def kick(self) -> None:
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                self.again = True
                return
            self.again = False
            self.thread = threading.Thread(
                target=self._run, name="cdpl-mail-sender", daemon=True
            )
            self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                with self.app.app_context(), acting_as(SENDER_ACTOR):
                    try:
                        deliver_pending()
                    finally:
                        db.session.remove()
            except Exception:  # the thread must never die silently with work left
                log.exception("Background e-mail delivery failed")
            with self.lock:
                if not self.again:
                    return
                self.again = False

    def wait(self, timeout: float = 10.0) -> bool:
        """Wait for the running delivery (tests); True when it finished."""
        thread = self.thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()


def background_sender(app: Flask) -> BackgroundSender:
    sender = app.extensions.get("cdpl_mail_sender")
    if sender is None:
        sender = app.extensions["cdpl_mail_sender"] = BackgroundSender(app)
    return sender


def _after_commit(session, *args) -> None:
    if not session.info.pop(QUEUED_KEY, False) or not has_app_context():
        return
    app = current_app._get_current_object()
    if not app.config.get("MAIL_SEND_AFTER_COMMIT", True):
        return
    if not smtp_settings(app.config).configured:
        return
    background_sender(app).kick()


def _after_rollback(session, *args) -> None:
    session.info.pop(QUEUED_KEY, None)


_installed = False


def install() -> None:
    """Attach the after-commit hook once per process (the session class is shared)."""
    global _installed
    if _installed:
        return
    sa.event.listen(FlaskSession, "after_commit", _after_commit)
    sa.event.listen(FlaskSession, "after_soft_rollback", _after_rollback)
    _installed = True
