"""Turning an outbox row into an e-mail (standard library ``email``) and sending it
over SMTP (``smtplib``); SMTP answers become temporary or permanent failures."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from app.mail.settings import SmtpSettings
from app.models import OutboxMessage
from app.models.base import utcnow


@dataclass
class Outcome:
    ok: bool
    permanent: bool = False
    error: str = ""


def one_line(text: str | None) -> str:
    """Header text on one line: CR, LF and other control characters become spaces."""
    return " ".join("".join(" " if ord(c) < 32 else c for c in text or "").split())


def build_email(message: OutboxMessage, settings: SmtpSettings) -> EmailMessage:
    """The MIME message of an outbox row, built by ``email.message.EmailMessage``."""
    email = EmailMessage()
    email["From"] = Address(
        display_name=one_line(settings.from_name), addr_spec=settings.from_address
    )
    email["To"] = Address(
        display_name=one_line(message.to_name), addr_spec=message.to_address
    )
    email["Subject"] = one_line(message.subject)
    email["Date"] = format_datetime(utcnow())
    domain = settings.from_address.rpartition("@")[2] or None
    email["Message-ID"] = message.message_id or make_msgid(domain=domain)
    # Tells mail servers and out-of-office responders this is a notification.
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body or "")
    for attachment in message.attachments:
        ctype, _, param_text = attachment.content_type.partition(";")
        maintype, _, subtype = ctype.strip().partition("/")
        params = {}
        for item in param_text.split(";"):
            key, _, value = item.strip().partition("=")
            if key:
                params[key] = value
        email.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params,
        )
    return email


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    # Certificates are always verified; an internal CA can be added, never skipped.
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    if settings.security == "tls":
        conn: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        conn = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            conn.starttls(context=context)
        if settings.user:
            conn.login(settings.user, settings.password)
    except BaseException:
        conn.close()  # a refused STARTTLS or login must not leak the socket
        raise
    return conn


def _answer(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"Le serveur a répondu {code} : {one_line(str(text))}"[:480]


class SmtpConnection:
    """One connection reused for a batch; reopened after the server hung up."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.conn: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.conn = None

    def send(self, email: EmailMessage) -> Outcome:
        """Send one message; every failure is an Outcome, never an exception."""
        try:
            if self.conn is None:
                self.conn = _connect(self.settings)
            refused = self.conn.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (450, ""))
            return Outcome(False, code >= 500, _answer(code, text))
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused) as exc:
            # The tool's own settings are wrong, not the recipient's address: every
            # message fails until they are fixed, so keep retrying (and never count
            # it against the address).
            self.close()
            what = (
                "Identifiants SMTP refusés"
                if isinstance(exc, smtplib.SMTPAuthenticationError)
                else "Adresse d'expédition refusée"
            )
            return Outcome(
                False,
                False,
                f"{what} (vérifiez la configuration). "
                f"{_answer(exc.smtp_code, exc.smtp_error)}"[:480],
            )
        except smtplib.SMTPResponseException as exc:
            # Data refused, command refused, …
            self.close()
            return Outcome(
                False, exc.smtp_code >= 500, _answer(exc.smtp_code, exc.smtp_error)
            )
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            reason = one_line(str(exc)) or exc.__class__.__name__
            return Outcome(
                False,
                False,
                f"Serveur d'envoi injoignable ou interrompu : {reason}"[:480],
            )
        if refused:
            code, text = next(iter(refused.values()))
            return Outcome(False, code >= 500, _answer(code, text))
        return Outcome(True)
