"""Every registered view answers its list, create, edit and details pages in French."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app import create_app
from app.admin import model_views
from tests.conftest import base_config


def _view_endpoints(tmp_path):
    # Build a throwaway app only to read the registered view names at collection time.
    app = create_app(
        base_config(tmp_path, AUTO_MIGRATE=False, SQLALCHEMY_DATABASE_URI="sqlite://")
    )
    return [v.endpoint for v in model_views(app.extensions["admin"][0])]


ENDPOINTS = _view_endpoints(__import__("tempfile").mkdtemp())

ENGLISH_DEFAULTS = ("Save and Continue", "Add another", "Record was", "List (")


def _view(app, endpoint):
    for view in model_views(app.extensions["admin"][0]):
        if view.endpoint == endpoint:
            return view
    raise LookupError(endpoint)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_view_answers_in_french(app, admin_client, full_data, endpoint):
    view = _view(app, endpoint)
    first = full_data.session.execute(sa.select(view.model).limit(1)).scalars().first()
    assert first is not None, f"no data for {endpoint}"
    pages = {"list": f"/admin/{endpoint}/"}
    if view.can_create:
        pages["create"] = f"/admin/{endpoint}/new/"
    if view.can_edit:
        pages["edit"] = f"/admin/{endpoint}/edit/?id={first.id}"
    if view.can_view_details:
        pages["details"] = f"/admin/{endpoint}/details/?id={first.id}"
    if view.has_history:
        pages["history"] = f"/admin/{endpoint}/history/?id={first.id}"
        pages["delete"] = f"/admin/{endpoint}/delete/confirm/?id={first.id}"
    for kind, url in pages.items():
        response = admin_client.get(url)
        assert response.status_code == 200, (kind, url, response.status_code)
        html = response.get_data(as_text=True)
        assert 'lang="fr"' in html
        for english in ENGLISH_DEFAULTS:
            assert english not in html, (kind, url, english)
        if kind == "list":
            assert view.name in html
            # Column headers are the French labels declared on the model.
            for col in view.column_list:
                key = col if isinstance(col, str) else col[0]
                assert str(escape(view.column_labels[key])) in html, (url, key)
        if kind == "history":
            # The creation is listed, attributed and labelled in French.
            assert "Création" in html and "Historique" in html, url
            assert ("demo" in html) or ("système" in html), url
            assert "Restaurer" not in html or "Restaurer cette" in html
        if kind in ("edit", "details"):
            assert "Historique des modifications" in html, (kind, url)
        if kind in ("create", "edit"):
            for field in view.form_columns or ():
                if field in view.column_labels:
                    assert str(escape(view.column_labels[field])) in html, (url, field)
