"""The checks the smoke test applies to every registered view."""

from __future__ import annotations

from markupsafe import escape

ENGLISH_DEFAULTS = ("Save and Continue", "Add another", "Record was", "List (")


def check_view_pages(client, view, row_id) -> None:
    """List, create, edit and details pages answer 200 in French with the labels."""
    base = view.url
    pages = {
        "list": f"{base}/",
        "create": f"{base}/new/",
        "edit": f"{base}/edit/?id={row_id}",
        "details": f"{base}/details/?id={row_id}",
    }
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
        if kind in ("create", "edit"):
            for field in view.form_columns or ():
                if field in view.column_labels:
                    label = str(escape(view.column_labels[field]))
                    assert label in html, (url, field)
