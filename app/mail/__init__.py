"""E-mail (issue 17): the outbox, its sender, convocations, replies and notices.

- ``settings``: SMTP settings from the configuration (environment);
- ``smtp``: building messages with ``email.message`` and sending with ``smtplib``;
- ``outbox``: queueing in the caller's transaction, claiming, retries, purge;
- ``sender``: delivery right after the commit in a background thread;
- ``convocation``: recipients, the pre-filled message, the sending;
- ``invitations``: personal links, replies, the attendance sheet they fill;
- ``notices``: change and cancellation notices, reminders;
- ``share``: the compte rendu sent to participants and excused;
- ``ics``: the meeting as an iTIP REQUEST/CANCEL attachment;
- ``history``: what was sent to a member (RGPD export) or for a meeting.
"""

from __future__ import annotations

from flask import Flask

from app.mail import notices, sender


def init_mail(app: Flask) -> None:
    """Install the session hooks (idempotent; shared by every app of the process)."""
    notices.install()
    sender.install()
