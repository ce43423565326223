"""The checks the smoke test applies to every registered view."""

from __future__ import annotations

from markupsafe import escape

ENGLISH_DEFAULTS = ("Save and Continue", "Add another", "Record was", "List (")


def check_view_pages(client, view, row_id) -> None:
    """List, create, edit and details pages answer 200 in French with the labels."""
    base = view.url
    pages = {"list": f"{base}/"}
    if type(view).can_create:
        pages["create"] = f"{base}/new/"
    if type(view).can_edit:
        pages["edit"] = f"{base}/edit/?id={row_id}"
    if type(view).can_view_details:
        pages["details"] = f"{base}/details/?id={row_id}"
    if getattr(view, "has_history", False):
        pages["history"] = f"{base}/history/?id={row_id}"
        pages["delete"] = f"{base}/delete/confirm/?id={row_id}"
    for kind, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (kind, url, response.status_code)
        html = response.get_data(as_text=True)
        assert 'lang="fr"' in html
        for english in ENGLISH_DEFAULTS:
            assert english not in html, (kind, url, english)
        if kind == "list":
            assert str(escape(view.name)) in html
            for col in view.column_list:
                key = col if isinstance(col, str) else col[0]
                assert str(escape(view.column_labels[key])) in html, (url, key)
        if kind == "history":
            # The creation is listed and labelled in French.
            assert "Création" in html and "Historique" in html, url
        if kind in ("edit", "details") and getattr(view, "has_history", False):
            assert "Historique des modifications" in html, (kind, url)
        if kind in ("create", "edit"):
            for field in view.form_columns or ():
                if field in view.column_labels:
                    label = str(escape(view.column_labels[field]))
                    assert label in html, (url, field)
