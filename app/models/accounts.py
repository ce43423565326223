"""Staff accounts, their server-side sessions and the security log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import (
    LabelledEnum,
    TimestampMixin,
    UTCDateTime,
    enum_column,
    utcnow,
)


class Role(LabelledEnum):
    """What an account may do; the order of the members is the order of power."""

    reader = "Lecteur"
    editor = "Éditeur"
    admin = "Administrateur"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user_account"
    __label__ = "Compte"
    __label_plural__ = "Comptes"
    __search__ = ("email", "name")

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased: the login is case-insensitive on every database.
    email: Mapped[str] = mapped_column(sa.String(254), info={"label": "Courriel"})
    name: Mapped[str | None] = mapped_column(sa.String(200), info={"label": "Nom"})
    #: argon2id hash in PHC format (parameters included), never the password.
    password_hash: Mapped[str] = mapped_column(
        sa.String(255), info={"label": "Empreinte du mot de passe"}
    )
    role: Mapped[Role] = mapped_column(
        enum_column(Role, "user_role"), default=Role.reader, info={"label": "Rôle"}
    )
    active: Mapped[bool] = mapped_column(
        sa.Boolean, default=True, nullable=False, info={"label": "Actif"}
    )
    member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="SET NULL"), index=True
    )
    last_login_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Dernière connexion"}
    )
    password_changed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), info={"label": "Mot de passe changé le"}
    )

    member = relationship("Member", info={"label": "Fiche membre"})
    sessions: Mapped[list[AuthSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        sa.UniqueConstraint("email", name="uq_user_account_email"),
        sa.Index("ix_user_account_role", "role"),
        sa.Index("ix_user_account_active", "active"),
    )

    def __str__(self) -> str:
        return self.name or self.email or ""

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive accounts cannot log in
        return bool(self.active)

    def has_role(self, role: Role) -> bool:
        return bool(self.active) and self.role.at_least(role)


class AuthSession(db.Model):
    """A login, kept on the server: the cookie only carries its random token.

    Deleting the row ends the session everywhere (logout, password change,
    deactivation), whichever worker or host receives the next request.
    """

    __tablename__ = "auth_session"
    #: A log of its own: copying its rows into the change log would only add noise.
    __history__ = False
    __label__ = "Session"
    __gender__ = "f"
    __label_plural__ = "Sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token held in the cookie; a stolen table gives no cookie.
    token_hash: Mapped[str] = mapped_column(sa.String(64), info={"label": "Jeton"})
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Ouverte le"}
    )
    last_seen_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Dernière activité"}
    )
    ip: Mapped[str | None] = mapped_column(sa.String(64), info={"label": "Adresse"})

    user: Mapped[User] = relationship(back_populates="sessions")

    __table_args__ = (
        sa.UniqueConstraint("token_hash", name="uq_auth_session_token_hash"),
    )

    def __str__(self) -> str:
        return f"Session {self.id}"


class SecurityEventKind(LabelledEnum):
    login_success = "Connexion réussie"
    login_failure = "Échec de connexion"
    login_throttled = "Connexion refusée (trop d'essais)"
    logout = "Déconnexion"
    password_change = "Changement de mot de passe"
    access_denied = "Accès refusé (403)"
    account_created = "Compte créé"
    account_changed = "Compte modifié"


class SecurityEvent(db.Model):
    """One line of the security log; also the source of login throttling."""

    __tablename__ = "security_event"
    #: A log of its own: copying its rows into the change log would only add noise.
    __history__ = False
    __label__ = "Événement de sécurité"
    __label_plural__ = "Journal de sécurité"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, info={"label": "Date (UTC)"}
    )
    kind: Mapped[SecurityEventKind] = mapped_column(
        enum_column(SecurityEventKind, "security_event_kind"),
        info={"label": "Événement"},
    )
    #: The login typed (lower-cased), even when no such account exists.
    email: Mapped[str | None] = mapped_column(sa.String(254), info={"label": "Compte"})
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    ip: Mapped[str | None] = mapped_column(sa.String(64), info={"label": "Adresse"})
    detail: Mapped[str | None] = mapped_column(sa.String(500), info={"label": "Détail"})

    __table_args__ = (
        sa.Index("ix_security_event_at", "at"),
        sa.Index("ix_security_event_kind_email_at", "kind", "email", "at"),
        sa.Index("ix_security_event_kind_ip_at", "kind", "ip", "at"),
    )

    def __str__(self) -> str:
        return f"{self.kind.value} {self.email or ''}".strip()
