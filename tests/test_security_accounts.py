"""Password policy, accounts on screen, first administrator, security log."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.auth.passwords import password_problems
from app.extensions import db as _db
from app.models.accounts import Role, SecurityEvent, User
from tests.conftest import TEST_PASSWORD, login

NEW_PASSWORD = "un tout autre secret bien long 77"


def _logged_in(client) -> bool:
    response = client.get("/admin/")
    return response.status_code == 200


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
