"""Accounts: first administrator, login, a reader's limits, logout.

These journeys wait for the accounts work (issue 3): each one probes the URL
map and is skipped, with the reason, until the route it needs exists.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.e2e.helpers import (
    E2E_PASSWORD,
    accounts_enabled,
    assert_accessible,
    log_in,
    require_route,
    url_for_endpoint,
)

NEEDS_ACCOUNTS = "accounts and the login page (issue 3)"


def _require_accounts(e2e_db) -> None:
    if not accounts_enabled(e2e_db):
        pytest.fail(f"needs {NEEDS_ACCOUNTS}")


def test_create_first_administrator_then_log_in(visitor_page, e2e_db, e2e_app):
    _require_accounts(e2e_db)
    require_route(e2e_db, r"installation|setup", "the first-administrator page")
    from app.auth.setup import setup_token
    from app.models.accounts import Role, User

    page = visitor_page
    page.goto(url_for_endpoint(e2e_db, "auth.first_admin"))
    assert_accessible(page, "installation")
    page.get_by_label("Jeton d'installation").fill(setup_token(e2e_app))
    page.get_by_label("Courriel").fill("Secretariat@CDPL.example.org")
    page.get_by_label("Nom").fill("Secrétariat du CDPL")
    page.get_by_label("Nouveau mot de passe").fill(E2E_PASSWORD)
    page.get_by_label("Confirmation").fill(E2E_PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    assert page.locator(".alert-success").count() == 1

    with e2e_db.session() as session:
        user = session.execute(sa.select(User)).scalar_one()
        assert user.email == "secretariat@cdpl.example.org"
        assert user.role is Role.admin and user.active

    # Log out, then in again with the new account.
    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
    login_path = url_for_endpoint(e2e_db, "auth.login")
    log_in(page, login_path, "secretariat@cdpl.example.org", E2E_PASSWORD)
    assert login_path not in page.url
    with e2e_db.session() as session:
        user = session.execute(sa.select(User)).scalar_one()
        assert user.last_login_at is not None


def test_reader_sees_no_edit_button_and_is_refused(open_tab, e2e_db):
    _require_accounts(e2e_db)
    from app.models import Member

    with e2e_db.session() as session:
        session.add(Member(first_name="Jean", last_name="Verger"))
        session.commit()
        member_id = session.scalar(sa.select(Member.id))
    page = open_tab("reader")

    page.goto("/admin/member/")
    assert "Verger" in page.locator("table.model-list").inner_text()
    assert page.locator("a[href*='/member/new/']").count() == 0
    assert page.locator("a[href*='/member/edit/']").count() == 0
    assert (
        page.locator(
            "form[action*='/member/delete/'], a[href*='/member/delete/']"
        ).count()
        == 0
    )
    assert_accessible(page, "liste vue par un lecteur")

    # Forcing the address does not help.
    response = page.goto("/admin/member/new/")
    assert response.status == 403
    assert_accessible(page, "accès refusé (403)")
    response = page.goto(f"/admin/member/edit/?id={member_id}")
    assert response.status == 403
    refused = page.request.post(
        "/admin/member/delete/", form={"id": str(member_id)}, max_redirects=0
    )
    assert refused.status in (400, 403)
    with e2e_db.session() as session:
        assert session.get(Member, member_id).last_name == "Verger"


def test_log_out(page, e2e_db):
    _require_accounts(e2e_db)
    from app.models.accounts import AuthSession

    with e2e_db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) == 1
    page.goto("/admin/")
    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
    login_path = url_for_endpoint(e2e_db, "auth.login")
    # The session is gone on the server, and the admin pages ask to log in.
    with e2e_db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) == 0
    page.goto("/admin/member/")
    assert login_path in page.url
