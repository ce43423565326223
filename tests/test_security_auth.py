"""Accounts: login, logout, sessions, throttling, passwords, first administrator."""

from __future__ import annotations

from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from app.auth.passwords import password_problems
from app.extensions import db as _db
from app.models.accounts import AuthSession, Role, SecurityEvent, User
from app.models.base import utcnow
from tests.conftest import TEST_PASSWORD, login

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


# ----- password policy ----------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["court", "a" * 11, "x" * 129, "Qwerty123456", "1qaz2wsx3edc", "LeaveMeAlone"],
)
def test_weak_passwords_refused(password):
    assert password_problems(password, "jean.dupont@example.org", "Jean Dupont")


@pytest.mark.parametrize(
    "password",
    ["jean.dupont@example.org!!", "Mon-nom-est-Dupont-42", "JEAN.DUPONTxyz12"],
)
def test_passwords_with_name_or_email_refused(password):
    problems = password_problems(password, "jean.dupont@example.org", "Jean Dupont")
    assert any("nom" in p for p in problems)


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "é" * 12,
        "🔒🔑 phrase très 秘密 ok",
        "x" * 64,
        "y" * 128,
    ],
)
def test_long_and_any_character_passwords_accepted(password):
    assert password_problems(password, "jean.dupont@example.org", "Jean Dupont") == []


def test_common_list_is_zxcvbn_30k():
    from app.auth.passwords import common_passwords

    assert len(common_passwords()) >= 10_000
    assert "123456789012" in common_passwords() or "password" in common_passwords()


def test_hashes_are_argon2(make_user):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert TEST_PASSWORD not in user.password_hash


# ----- accounts managed on screen -------------------------------------------------


def test_admin_creates_account_with_policy(app, admin_client):
    data = {
        "email": "Nouvelle@Example.org",
        "name": "Claire Martin",
        "role": "reader",
        "active": "y",
    }
    weak = admin_client.post(
        "/admin/account/new/", data={**data, "new_password": "password"}
    )
    assert weak.status_code == 200
    assert "au moins 12 caractères" in weak.get_data(as_text=True)
    response = admin_client.post(
        "/admin/account/new/", data={**data, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    user = _db.session.execute(
        sa.select(User).where(User.email == "nouvelle@example.org")
    ).scalar_one()
    assert user.role == Role.reader
    _db.session.rollback()
    assert (
        login(app.test_client(), "nouvelle@example.org", NEW_PASSWORD).status_code
        == 302
    )


def test_last_admin_cannot_be_demoted(admin_client):
    user = admin_client.user
    response = admin_client.post(
        f"/admin/account/edit/?id={user.id}",
        data={"email": user.email, "role": "reader", "active": "y"},
    )
    assert response.status_code == 200
    assert "au moins un administrateur actif" in response.get_data(as_text=True)
    _db.session.rollback()
    assert _db.session.get(User, user.id).role == Role.admin


# ----- first administrator --------------------------------------------------------


def _setup_data(token, **extra):
    return {
        "token": token,
        "email": "premiere@example.org",
        "name": "Première Admin",
        "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        **extra,
    }


def test_setup_page_needs_the_console_token(app, client, db):
    from app.auth.setup import setup_token

    assert client.get("/installation").status_code == 200
    wrong = client.post("/installation", data=_setup_data("mauvais-jeton"))
    assert "Jeton d'installation incorrect." in unescape(wrong.get_data(as_text=True))
    assert _db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0
    _db.session.rollback()
    token = setup_token(app)
    response = client.post("/installation", data=_setup_data(token))
    assert response.status_code == 302
    assert _logged_in(client)
    user = _db.session.execute(sa.select(User)).scalar_one()
    assert user.role == Role.admin
    _db.session.rollback()
    # the page no longer exists once an account exists
    assert client.get("/installation").status_code == 404
    assert (
        app.test_client().post("/installation", data=_setup_data(token)).status_code
        == 404
    )


def test_setup_token_printed_at_start(app, db, capsys):
    from app.auth.setup import announce

    app.extensions.pop("cdpl_setup_announced", None)
    announce(app)
    out = capsys.readouterr().out
    token = Path(app.config["SETUP_TOKEN_PATH"]).read_text()
    assert token in out
    assert "/installation" in out
    app.extensions.pop("cdpl_setup_announced")
    announce(app)  # every worker start prints the same token
    assert token in capsys.readouterr().out
    app.extensions.pop("cdpl_setup_announced")


def test_setup_token_not_printed_once_an_account_exists(app, make_user, capsys):
    from app.auth.setup import announce

    make_user()
    app.extensions.pop("cdpl_setup_announced", None)
    announce(app)
    app.extensions.pop("cdpl_setup_announced", None)
    assert "jeton" not in capsys.readouterr().out


def test_create_admin_command(app, db):
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=["create-admin", "--email", "chef@example.org", "--password", "motdepasse"]
    )
    assert weak.exit_code != 0
    result = runner.invoke(
        args=["create-admin", "--email", "Chef@example.org", "--password", NEW_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    user = _db.session.execute(sa.select(User)).scalar_one()
    assert (user.email, user.role) == ("chef@example.org", Role.admin)
    _db.session.rollback()
    again = runner.invoke(
        args=["create-admin", "--email", "chef@example.org", "--password", NEW_PASSWORD]
    )
    assert again.exit_code != 0


# ----- security log ---------------------------------------------------------------


def test_security_log_records_without_secrets(app, client, make_user, caplog):
    user = make_user()
    caplog.set_level("INFO", logger="cdpl.security")
    login(client, user.email, "mauvais mot de passe secret")
    login(client, user.email)
    cookie = client.get_cookie("session").value
    client.post("/deconnexion")
    kinds = [
        e.kind.name
        for e in _db.session.execute(
            sa.select(SecurityEvent).order_by(SecurityEvent.id)
        ).scalars()
    ]
    _db.session.rollback()
    assert kinds == ["login_failure", "login_success", "logout"]
    text = caplog.text
    assert user.email in text
    assert "ip=127.0.0.1" in text
    assert "mauvais mot de passe secret" not in text
    assert TEST_PASSWORD not in text
    assert cookie not in text
    for record in caplog.records:
        assert record.getMessage()[:4].isdigit()  # UTC time stamp first


def test_newlines_cannot_forge_log_lines(app, client, db, caplog):
    caplog.set_level("INFO", logger="cdpl.security")
    login(
        client,
        "x@example.org\nFAKE event=login_success account=admin",
        "mauvais mot de passe",
    )
    messages = [r.getMessage() for r in caplog.records if r.name == "cdpl.security"]
    assert messages
    assert all("\n" not in m and "\r" not in m for m in messages)
    assert "\\n" in messages[0]


def test_403_is_logged(app, reader_client, caplog):
    caplog.set_level("INFO", logger="cdpl.security")
    assert reader_client.get("/admin/member/new/").status_code == 403
    assert "event=access_denied" in caplog.text
    assert "/admin/member/new/" in caplog.text
