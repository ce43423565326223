"""Who is making the change: the logged-in account, or the command that runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import click
from flask import current_app, has_request_context
from flask_login import current_user

#: Set by commands (CLI, demo loader, imports) for the changes they make.
_actor_label: ContextVar[str | None] = ContextVar("cdpl_actor_label", default=None)

#: Label of web changes made without a logged-in account (before accounts exist).
ANONYMOUS = "anonyme"
#: Label of changes made by a command-line command that declares nothing better.
CLI = "cli"
#: Label of changes made outside any request and any declared command.
SYSTEM = "système"


@dataclass(frozen=True)
class Actor:
    id: int | None
    label: str


@contextmanager
def acting_as(label: str) -> Iterator[None]:
    """Attribute the changes made inside the block to ``label`` ("cli", "demo"...)."""
    token = _actor_label.set(label)
    try:
        yield
    finally:
        _actor_label.reset(token)


def declared_actor() -> str | None:
    return _actor_label.get()


def _authenticated_user():
    """The Flask-Login user of this request when one is logged in, else None."""
    if not has_request_context() or not hasattr(current_app, "login_manager"):
        return None
    try:
        user = current_user._get_current_object()
    except Exception:  # login manager present but not configured (no user loader)
        return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def current_actor() -> Actor:
    """The account (id + e-mail) behind the current change, or the command's label."""
    label = _actor_label.get()
    if label is not None:
        return Actor(None, label)
    user = _authenticated_user()
    if user is not None:
        raw_id = getattr(user, "id", None)
        try:
            user_id = int(raw_id) if raw_id is not None else None
        except (TypeError, ValueError):
            user_id = None
        return Actor(user_id, str(getattr(user, "email", None) or raw_id))
    if has_request_context():
        return Actor(None, ANONYMOUS)
    if click.get_current_context(silent=True) is not None:
        return Actor(None, CLI)
    return Actor(None, SYSTEM)
