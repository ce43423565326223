"""Every registered view answers its list, create, edit and details pages in French."""

from __future__ import annotations

import tempfile

import pytest
import sqlalchemy as sa

from app import create_app
from app.admin import model_views
from tests.conftest import base_config
from tests.factories import make_row
from tests.smoke_helpers import check_view_pages


def _view_endpoints():
    # A throwaway app, only to read the registered view names at collection time.
    app = create_app(
        base_config(
            tempfile.mkdtemp(), AUTO_MIGRATE=False, SQLALCHEMY_DATABASE_URI="sqlite://"
        )
    )
    return [v.endpoint for v in model_views(app.extensions["admin"][0])]


ENDPOINTS = _view_endpoints()


def _view(app, endpoint):
    for view in model_views(app.extensions["admin"][0]):
        if view.endpoint == endpoint:
            return view
    raise LookupError(endpoint)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_view_answers_in_french(app, admin_client, full_data, endpoint):
    view = _view(app, endpoint)
    first = full_data.session.execute(sa.select(view.model).limit(1)).scalars().first()
    if first is None:
        # A record type the demo does not cover yet still gets visited.
        first = make_row(view.model)
        full_data.session.commit()
    check_view_pages(admin_client, view, first.id)


def test_screens_are_french_whatever_the_browser_language(admin_client, demo):
    html = admin_client.get(
        "/admin/member/", headers={"Accept-Language": "en-US,en;q=0.9"}
    ).get_data(as_text=True)
    assert "Liste" in html and "Créer" in html
    assert "Add Filter" not in html and "With selected" not in html
    # Enum values are shown by their French label, not their stored code.
    assert "Salarié·e" in html
    assert ">staff<" not in html


def test_english_is_available_on_request(admin_client, demo):
    html = admin_client.get("/admin/member/").get_data(as_text=True)
    assert 'value="en"' in html  # the switch is offered
    response = admin_client.post(
        "/langue", data={"lang": "en", "next": "/admin/member/"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/member/")
    html = admin_client.get("/admin/member/").get_data(as_text=True)
    assert "Create" in html and 'lang="en"' in html
    evil = admin_client.post("/langue", data={"lang": "fr", "next": "//evil.example"})
    assert "evil.example" not in evil.headers.get("Location", "")
    admin_client.post("/langue", data={"lang": "fr", "next": "/admin/member/"})
    html = admin_client.get("/admin/member/").get_data(as_text=True)
    assert "Créer" in html
