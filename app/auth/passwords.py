"""Password hashing (argon2id via argon2-cffi) and the password policy."""

from __future__ import annotations

import unicodedata
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 12
MAX_LENGTH = 128


@cache
def _hasher(testing: bool) -> PasswordHasher:
    if testing:
        # Tests only: the cheapest parameters argon2 accepts, so the suite stays fast.
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()  # library defaults (RFC 9106 low-memory profile)


def hasher() -> PasswordHasher:
    return _hasher(bool(current_app.config.get("TESTING")))


def _normalise(password: str) -> str:
    # The same characters typed on another keyboard or OS give the same hash.
    return unicodedata.normalize("NFC", password)


def hash_password(password: str) -> str:
    return hasher().hash(_normalise(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still costs one hash."""
    if not stored_hash:
        burn_time(password)
        return False
    try:
        return hasher().verify(stored_hash, _normalise(password))
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Do the work of one verification, so an unknown account answers as slowly."""
    try:
        hasher().verify(_dummy_hash(), _normalise(password))
    except (VerificationError, InvalidHashError):
        pass


def _dummy_hash() -> str:
    key = "_cdpl_dummy_hash"
    value = current_app.extensions.get(key)
    if value is None:
        value = current_app.extensions[key] = hasher().hash("dummy password value")
    return value


def needs_rehash(stored_hash: str) -> bool:
    try:
        return hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords shipped with zxcvbn."""
    # Loaded on first use: the 30,000-word list costs ~12 MB, and only password
    # changes and account creation need it.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def password_problems(
    password: str, email: str | None = None, name: str | None = None
) -> list[str]:
    """French reasons why ``password`` is refused; empty when acceptable.

    No composition rules (NIST SP 800-63B): length, a list of common passwords
    and the account's own name or address are what is checked.
    """
    problems: list[str] = []
    password = _normalise(password or "")
    if len(password) < MIN_LENGTH:
        problems.append(
            f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères."
        )
    if len(password) > MAX_LENGTH:
        problems.append(
            f"Le mot de passe doit compter au plus {MAX_LENGTH} caractères."
        )
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        problems.append(
            "Ce mot de passe fait partie des plus courants : choisissez-en un autre."
        )
    personal: set[str] = set()
    if email:
        email = email.strip().lower()
        personal.add(email)
        local = email.split("@", 1)[0]
        personal.add(local)
        personal.update(p for p in _split(local) if len(p) >= 3)
    if name:
        personal.add(name.strip().lower())
        personal.update(p for p in _split(name.lower()) if len(p) >= 3)
    if any(p and p in lowered for p in personal):
        problems.append(
            "Le mot de passe ne doit pas contenir votre nom ni votre adresse courriel."
        )
    return problems


def _split(text: str) -> list[str]:
    for sep in ".-_+ '’":
        text = text.replace(sep, " ")
    return [p for p in text.split() if p]
