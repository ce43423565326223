"""SMTP settings, read from the configuration (itself read from the environment)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

#: How the connection to the SMTP server is protected.
SECURITY_MODES = ("starttls", "tls", "none")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str
    password: str
    from_address: str
    from_name: str
    timeout: float
    batch_size: int
    pause_seconds: float
    #: Extra certificate authorities (PEM file) trusted for TLS, e.g. an internal CA.
    ca_file: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.host and self.from_address)


def smtp_settings(config=None) -> SmtpSettings:
    """The SMTP settings of the current application (or of ``config``)."""
    config = config if config is not None else current_app.config
    security = str(config.get("MAIL_SMTP_SECURITY") or "starttls").strip().lower()
    if security not in SECURITY_MODES:
        security = "starttls"
    return SmtpSettings(
        host=str(config.get("MAIL_SMTP_HOST") or "").strip(),
        port=int(config.get("MAIL_SMTP_PORT") or 587),
        security=security,
        user=str(config.get("MAIL_SMTP_USER") or ""),
        password=str(config.get("MAIL_SMTP_PASSWORD") or ""),
        from_address=str(config.get("MAIL_FROM_ADDRESS") or "").strip(),
        from_name=str(
            config.get("MAIL_FROM_NAME") or config.get("ORG_SHORT_NAME") or ""
        ),
        timeout=float(config.get("MAIL_SMTP_TIMEOUT_SECONDS") or 20),
        batch_size=max(int(config.get("MAIL_BATCH_SIZE") or 20), 1),
        pause_seconds=max(int(config.get("MAIL_PAUSE_MS") or 0), 0) / 1000,
        ca_file=str(config.get("MAIL_SMTP_CA_FILE") or "").strip(),
    )


def mail_configured() -> bool:
    """True when messages can leave: an SMTP host and a sender address are set."""
    return smtp_settings().configured


NOT_CONFIGURED_MESSAGE = (
    "Aucun serveur d'envoi (SMTP) n'est configuré : les courriels restent en "
    "attente dans la liste « Courriels » jusqu'à ce qu'il le soit "
    "(variables CDPL_SMTP_HOST et CDPL_MAIL_FROM)."
)
