"""A real SMTP server for the e-mail tests (aiosmtpd on 127.0.0.1).

The handler records what it received (parsed with the standard library) and can
be told to answer 4xx or 5xx, or to be slow.
"""

from __future__ import annotations

import asyncio
import html
import re
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+/reponse/[A-Za-z0-9_-]+")


class RecordingHandler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        #: Envelope recipients (RCPT TO) of each received message.
        self.recipients: list[list[str]] = []
        #: e.g. "451 4.3.0 Réessayez plus tard" to refuse recipients.
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        #: Seconds to wait before answering DATA (a slow server).
        self.data_delay = 0.0
        #: Set when DATA starts (the server is busy with a message).
        self.data_started = threading.Event()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_started.set()
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.data_reply:
            return self.data_reply
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(parsed)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mail_config(port: int) -> dict:
    return {
        "MAIL_SMTP_HOST": "127.0.0.1",
        "MAIL_SMTP_PORT": port,
        "MAIL_SMTP_SECURITY": "none",
        "MAIL_FROM_ADDRESS": "secretariat@cdpl.example.org",
        "MAIL_FROM_NAME": "Secrétariat du CDPL",
        "MAIL_SMTP_TIMEOUT_SECONDS": 5,
        # Tests deliver explicitly (deliver_pending) unless they test the thread.
        "MAIL_SEND_AFTER_COMMIT": False,
    }


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A local SMTP server, and the app configured to send to it."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in mail_config(port).items():
        monkeypatch.setitem(app.config, key, value)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def no_server(app, monkeypatch):
    """SMTP configured towards a port where nothing listens."""
    for key, value in mail_config(free_port()).items():
        monkeypatch.setitem(app.config, key, value)


def body_text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    """{filename: (content type, bytes)} of a received message."""
    return {
        part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    }


def personal_link(message: EmailMessage) -> str:
    match = LINK.search(body_text(message))
    assert match, body_text(message)
    return match.group(0)


def page(response) -> str:
    """The response's text with HTML entities decoded (d&#39;envoi -> d'envoi)."""
    return html.unescape(response.get_data(as_text=True))
