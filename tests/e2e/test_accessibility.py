"""axe-core finds no serious or critical violation on any kind of page.

The pages are those of the demo data set: one of each type (dashboard, list,
search, form, form with errors, inline rows, details, error page), plus the
login page and the compte rendu as soon as their routes exist.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.e2e.helpers import (
    accounts_enabled,
    add_inline,
    assert_accessible,
    log_in,
    require_route,
    save_form,
    select2_choose,
    url_for_endpoint,
)


@pytest.fixture
def demo_ids(demo_db) -> dict[str, int]:
    from app.models import (
        Document,
        Indicator,
        Meeting,
        Member,
        Plan,
        PlanAction,
        WorkingGroup,
    )

    with demo_db.session() as session:
        return {
            "plan": session.scalar(sa.select(sa.func.min(Plan.id))),
            "plan_action": session.scalar(sa.select(sa.func.min(PlanAction.id))),
            "indicator": session.scalar(sa.select(sa.func.min(Indicator.id))),
            "document": session.scalar(sa.select(sa.func.min(Document.id))),
            "meeting": session.scalar(sa.select(sa.func.min(Meeting.id))),
            "member": session.scalar(sa.select(sa.func.min(Member.id))),
            "group": session.scalar(sa.select(sa.func.min(WorkingGroup.id))),
        }


PAGES = {
    "tableau de bord": "/admin/",
    "liste des membres": "/admin/member/",
    "liste des réunions": "/admin/meeting/",
    "recherche": "/admin/member/?search=soudy",
    "liste vide": "/admin/member/?search=zzz-introuvable",
    "formulaire de membre": "/admin/member/new/",
    "formulaire de réunion (lignes de présence)": "/admin/meeting/edit/?id={meeting}",
    "formulaire de groupe (participations)": "/admin/working_group/edit/?id={group}",
    "formulaire de document (transmissions)": "/admin/document/edit/?id={document}",
    "fiche d'un membre": "/admin/member/details/?id={member}",
    "fiche d'une réunion": "/admin/meeting/details/?id={meeting}",
    "fiche d'un plan": "/admin/plan/details/?id={plan}",
    "fiche d'une action du plan": "/admin/plan_action/details/?id={plan_action}",
    "fiche d'un indicateur": "/admin/indicator/details/?id={indicator}",
    "fiche d'un document": "/admin/document/details/?id={document}",
    "page introuvable (404)": "/admin/page-qui-n-existe-pas/",
}


def _has_error_pages(app) -> bool:
    """True once the app answers HTTP errors with its own (French) pages."""
    from werkzeug.exceptions import HTTPException, NotFound

    handlers = app.error_handler_spec.get(None, {})
    return any(
        cls in (HTTPException, NotFound)
        for by_class in handlers.values()
        for cls in by_class
    )


@pytest.mark.parametrize("what", PAGES)
def test_page_has_no_serious_violation(page, demo_ids, e2e_app, what):
    if what.endswith("(404)") and not _has_error_pages(e2e_app):
        pytest.fail("needs the French error pages (issue 3)")
    response = page.goto(PAGES[what].format(**demo_ids))
    if what.endswith("(404)"):
        assert response.status == 404
    else:
        assert response.ok, response.status
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("main").count() == 1
    assert page.locator("h1").count() == 1
    assert_accessible(page, what)


def test_form_with_errors_has_no_serious_violation(page, demo_db):
    page.goto("/admin/member/new/")
    page.locator("#first_name").fill("Ada")
    page.locator("#last_name").fill("Lovelace")
    page.locator("#email").fill("pas-une-adresse")
    save_form(page)
    email = page.locator("#email")
    # The error is shown next to the field, announced with it, and the input kept.
    assert email.input_value() == "pas-une-adresse"
    assert email.get_attribute("aria-invalid") == "true"
    message = page.locator("#" + email.get_attribute("aria-describedby"))
    assert "Adresse électronique invalide" in message.inner_text()
    assert_accessible(page, "formulaire avec erreurs")


def test_new_inline_row_and_open_picker_have_no_serious_violation(page, demo_db):
    page.goto("/admin/meeting/new/")
    row = add_inline(page, "attendances")
    # The new row's labels name its own fields, not the hidden template's.
    assert page.get_by_label("Invité·e").get_attribute("id") == (
        f"attendances-{row}-guest"
    )
    select2_choose(page, f"attendances-{row}-member", "Soudy", "Eric Soudy")
    page.locator("#s2id_group .select2-choice").click()
    page.locator("#select2-drop input.select2-input").fill("Inno")
    page.locator("#select2-drop .select2-result-selectable").first.wait_for()
    assert_accessible(page, "liste de choix ouverte")
    page.keyboard.press("Escape")
    assert_accessible(page, "ligne de présence ajoutée")


def test_flash_message_after_save_has_no_serious_violation(page, demo_db):
    page.goto("/admin/organisation/new/")
    page.locator("#name").fill("Association témoin a11y")
    save_form(page)
    status = page.get_by_role("status")
    assert "créé" in status.inner_text()
    assert_accessible(page, "liste après enregistrement")


def test_login_page_has_no_serious_violation(visitor_page, demo_db):
    if not accounts_enabled(demo_db):
        pytest.fail("needs the login page (issue 3)")
    login_path = url_for_endpoint(demo_db, "auth.login")
    visitor_page.goto(login_path)
    assert visitor_page.locator("input[type=password]").count() == 1
    assert_accessible(visitor_page, "connexion")
    log_in(visitor_page, login_path, "personne@example.org", "mauvais mot de passe")
    assert login_path in visitor_page.url
    assert_accessible(visitor_page, "connexion refusée")


#: The meeting's own screens (issue 5): attendance, minutes, compte rendu.
MEETING_SCREENS = {
    "présences": r"/meeting/attendance/$",
    "saisie du compte rendu": r"/meeting/minutes/$",
    "compte rendu": r"/meeting/report/$",
}


@pytest.mark.parametrize("what", MEETING_SCREENS)
def test_meeting_screen_has_no_serious_violation(page, demo_ids, demo_db, what):
    endpoint = require_route(
        demo_db, MEETING_SCREENS[what], f"the {what} screen (issue 5)"
    )
    response = page.goto(url_for_endpoint(demo_db, endpoint, id=demo_ids["meeting"]))
    assert response.ok, (page.url, response.status)
    assert page.locator("h1").count() >= 1
    assert_accessible(page, what)


def test_other_admin_pages_have_no_serious_violation(page, demo_db, e2e_app):
    """Every admin page that is not a record screen (import, backup...)."""
    from flask_admin import AdminIndexView
    from flask_admin.model import BaseModelView

    admin = e2e_app.extensions["admin"][0]
    views = [
        v for v in admin._views if not isinstance(v, BaseModelView | AdminIndexView)
    ]
    if not views:
        pytest.fail("needs admin pages other than record screens (issue 6)")
    for view in views:
        path = url_for_endpoint(demo_db, f"{view.endpoint}.index")
        response = page.goto(path)
        assert response.ok, (path, response.status)
        assert page.locator("h1").count() == 1, path
        assert_accessible(page, view.name)
