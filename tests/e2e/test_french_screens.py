"""Issue 14 in the browser: a bulk delete goes through the confirmation page (no
browser dialog) and the messages name the records."""

from __future__ import annotations

import sqlalchemy as sa

from tests.e2e.helpers import flash_texts, save_form


def test_bulk_delete_confirms_on_a_page_and_names_the_records(page, e2e_db):
    from app.models import College

    with e2e_db.session() as session:
        session.add_all(
            [
                College(name="Collège un", position=8),
                College(name="Collège deux", position=9),
            ]
        )
        session.commit()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/admin/college/")
    page.locator("input.action-rowtoggle").check()
    page.get_by_role("button", name="Avec la sélection").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Supprimer", exact=True).click()
    assert dialogs == []
    assert "/delete/confirm/" in page.url
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Supprimer ces 2 fiches ?"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer la suppression").click()
    assert any(
        "2 collèges supprimés : « Collège" in text for text in flash_texts(page)
    ), flash_texts(page)
    with e2e_db.session() as session:
        assert session.scalar(sa.select(sa.func.count(College.id))) == 0


def test_created_member_is_named(page, e2e_db):
    page.goto("/admin/member/new/")
    page.locator("#first_name").fill("Solenn")
    page.locator("#last_name").fill("Bréhaut")
    save_form(page)
    assert any(
        "Le membre « Solenn Bréhaut » a été créé." in text for text in flash_texts(page)
    )
