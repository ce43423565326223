"""Login, logout, server-side sessions and their expiry, login throttling."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import sqlalchemy as sa
from freezegun import freeze_time
from sqlalchemy.orm import Session

from app.auth import views
from app.auth.passwords import hash_password
from app.extensions import db as _db
from app.models.accounts import (
    AuthSession,
    Role,
    SecurityEvent,
    SecurityEventKind,
    User,
)
from app.models.base import utcnow
from tests.conftest import TEST_PASSWORD, login
from tests.test_transactions import sqlite_only

NEW_PASSWORD = "un tout autre secret bien long 77"


def _logged_in(client) -> bool:
    response = client.get("/admin/")
    return response.status_code == 200


def _session_count(user_id) -> int:
    count = _db.session.execute(
        sa.select(sa.func.count()).where(AuthSession.user_id == user_id)
    ).scalar_one()
    _db.session.rollback()
    return count


# ----- login and logout ---------------------------------------------------------


def test_no_default_account(app, db):
    assert _db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0


def test_login_success_and_failure_same_message(app, client, make_user):
    user = make_user(role=Role.editor)
    wrong = login(client, user.email, "pas le bon mot de passe")
    unknown = login(client, "personne@example.org", "pas le bon mot de passe")
    assert wrong.status_code == unknown.status_code == 200
    text_wrong = wrong.get_data(as_text=True)
    text_unknown = unknown.get_data(as_text=True)
    assert "Courriel ou mot de passe incorrect." in text_wrong
    assert "Courriel ou mot de passe incorrect." in text_unknown
    assert not _logged_in(client)
    assert login(client, user.email.upper()).status_code == 302  # case-insensitive
    assert _logged_in(client)


def test_unknown_account_costs_a_hash(app, client, db, monkeypatch):
    """Similar timing: an unknown account still runs one argon2 verification."""
    from argon2 import PasswordHasher

    calls = []
    original = PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(1)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    login(client, "inconnu@example.org", "nimporte quoi 123456")
    assert calls == [1]


def test_inactive_account_cannot_log_in(client, make_user):
    user = make_user(role=Role.admin, active=False)
    response = login(client, user.email)
    assert "Courriel ou mot de passe incorrect." in response.get_data(as_text=True)
    assert not _logged_in(client)


def test_login_creates_a_new_session(app, client, make_user):
    user = make_user()
    with client.session_transaction() as sess:
        sess["_sid"] = "planted-by-attacker"
        sess["marker"] = "old"
    login(client, user.email)
    with client.session_transaction() as sess:
        assert sess["_sid"] != "planted-by-attacker"
        assert "marker" not in sess
    assert _session_count(user.id) == 1


def test_logout_is_post_only(admin_client):
    assert admin_client.get("/deconnexion").status_code == 405
    assert _logged_in(admin_client)


def test_cookie_replayed_after_logout_is_refused(app, admin_client):
    cookie = admin_client.get_cookie("session")
    assert cookie is not None
    stolen = app.test_client()
    stolen.set_cookie("session", cookie.value, domain=cookie.domain)
    assert _logged_in(stolen)
    response = admin_client.post("/deconnexion")
    assert response.status_code == 302
    assert not _logged_in(admin_client)
    assert not _logged_in(stolen)
    assert _session_count(admin_client.user.id) == 0


def test_password_change_ends_other_sessions(app, admin_client):
    user = admin_client.user
    other = app.test_client()
    login(other, user.email)
    assert _logged_in(other)
    response = admin_client.post(
        "/mot-de-passe",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert _logged_in(admin_client)  # this session stays
    assert not _logged_in(other)
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_password_change_needs_current_password(admin_client):
    response = admin_client.post(
        "/mot-de-passe",
        data={
            "current_password": "pas le bon mot de passe",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "Mot de passe actuel incorrect." in response.get_data(as_text=True)
    assert (
        login(
            admin_client.application.test_client(), admin_client.user.email
        ).status_code
        == 302
    )


def test_password_change_applies_the_policy(admin_client):
    response = admin_client.post(
        "/mot-de-passe",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "court",
            "confirm": "court",
        },
    )
    assert "au moins 12 caractères" in response.get_data(as_text=True)


def test_deactivation_ends_sessions(app, admin_client, make_user):
    victim = make_user(role=Role.editor)
    victim_client = app.test_client()
    login(victim_client, victim.email)
    assert _logged_in(victim_client)
    response = admin_client.post(
        f"/admin/account/edit/?id={victim.id}",
        data={"email": victim.email, "name": "", "role": "editor"},  # active unticked
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert not _logged_in(victim_client)
    assert _session_count(victim.id) == 0


def test_idle_timeout(app, client, make_user):
    user = make_user()
    with freeze_time(utcnow()) as frozen:
        login(client, user.email)
        frozen.tick(timedelta(minutes=29))
        assert _logged_in(client)
        frozen.tick(timedelta(minutes=31))
        assert not _logged_in(client)


def test_absolute_lifetime(app, client, make_user):
    user = make_user()
    with freeze_time(utcnow()) as frozen:
        login(client, user.email)
        for _ in range(12 * 3 - 1):  # active every 20 minutes, up to 11 h 40
            frozen.tick(timedelta(minutes=20))
            assert _logged_in(client)
        frozen.tick(timedelta(minutes=21))  # 12 h 01 after login, though active
        assert not _logged_in(client)
    assert _session_count(user.id) == 0


def test_idle_timeout_is_configurable(app, client, make_user):
    user = make_user()
    app.config["SESSION_IDLE_TIMEOUT_MINUTES"] = 5
    try:
        with freeze_time(utcnow()) as frozen:
            login(client, user.email)
            frozen.tick(timedelta(minutes=6))
            assert not _logged_in(client)
    finally:
        app.config["SESSION_IDLE_TIMEOUT_MINUTES"] = 30


# ----- throttling ---------------------------------------------------------------


def test_throttling_per_account_and_recovery(app, client, make_user):
    user = make_user()
    limit = app.config["LOGIN_MAX_FAILURES"]
    with freeze_time(utcnow()) as frozen:
        for _ in range(limit):
            assert login(client, user.email, "mauvais mot de passe").status_code == 200
        refused = login(client, user.email)  # even the right password
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers
        assert not _logged_in(client)
        frozen.tick(timedelta(seconds=app.config["LOGIN_FAILURE_WINDOW_SECONDS"] + 1))
        assert login(client, user.email).status_code == 302
        assert _logged_in(client)


def test_throttling_unknown_account_looks_the_same(app, client, db):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        login(client, "inconnu@example.org", "mauvais mot de passe")
    assert (
        login(client, "inconnu@example.org", "mauvais mot de passe").status_code == 429
    )


def test_throttling_per_address(app, make_user):
    user = make_user()
    client = app.test_client()
    per_ip = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    with freeze_time(utcnow()) as frozen:
        for n in range(per_ip):
            login(client, f"essai{n}@example.org", "mauvais mot de passe")
        assert login(client, user.email).status_code == 429
        # another address is not affected
        elsewhere = app.test_client()
        other = login(elsewhere, user.email, environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert other.status_code == 302
        frozen.tick(timedelta(seconds=app.config["LOGIN_FAILURE_WINDOW_SECONDS"] + 1))
        assert login(client, user.email).status_code == 302


def test_success_resets_account_failures(app, client, make_user):
    user = make_user()
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        login(client, user.email, "mauvais mot de passe")
    assert login(client, user.email).status_code == 302
    client.post("/deconnexion")
    for _ in range(limit - 1):
        login(client, user.email, "mauvais mot de passe")
    assert login(client, user.email).status_code == 302


# ----- the password check holds no write lock (issue 22) -------------------------


def _verify_running(monkeypatch, during):
    """Run ``during()`` inside every password check of the login view."""
    real = views.verify_password

    def verify(stored, password):
        during()
        return real(stored, password)

    monkeypatch.setattr(views, "verify_password", verify)


@sqlite_only
def test_the_password_check_leaves_the_write_lock_free(
    app, client, db, make_user, monkeypatch
):
    """argon2 (a second under load) runs before the write transaction: another
    connection can take SQLite's write lock while a login verifies."""
    user = make_user(role=Role.editor)
    free: list[bool] = []

    def probe():
        other = sqlite3.connect(_db.engine.url.database, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            free.append(True)
        except sqlite3.OperationalError:
            free.append(False)
        finally:
            other.close()

    _verify_running(monkeypatch, probe)
    assert login(client, user.email, "pas le bon mot de passe").status_code == 200
    assert login(client, "personne@example.org").status_code == 200
    assert login(client, user.email).status_code == 302
    assert free == [True, True, True]


def test_failures_recorded_during_the_check_still_throttle(
    app, client, db, make_user, monkeypatch
):
    """Parallel attempts no longer queue behind the lock: the limit is counted
    again in the write transaction, so the right password is refused too."""
    user = make_user(role=Role.editor)
    email = user.email
    limit = app.config["LOGIN_MAX_FAILURES"]

    def parallel_failures():
        with Session(_db.engine) as other, other.begin():
            other.add_all(
                SecurityEvent(
                    at=utcnow(), kind=SecurityEventKind.login_failure, email=email
                )
                for _ in range(limit)
            )

    _verify_running(monkeypatch, parallel_failures)
    assert login(client, email).status_code == 429
    assert not _logged_in(client)


def test_a_password_changed_during_the_check_is_not_accepted(
    app, client, db, make_user, monkeypatch
):
    user = make_user(role=Role.editor)
    user_id = user.id

    def changed():
        with Session(_db.engine) as other, other.begin():
            other.get(User, user_id).password_hash = hash_password(NEW_PASSWORD)

    _verify_running(monkeypatch, changed)
    response = login(client, user.email)  # the old password, verified too late
    assert response.status_code == 200
    assert "Courriel ou mot de passe incorrect." in response.get_data(as_text=True)
    assert not _logged_in(client)
