"""The global search page behind the navigation bar's search box (issue 18).

Every logged-in account may use it; each record type is searched only when the
account may read that type's list (the view's ``read_role``), and each result
links to the record and, per type, to the list filtered by the same words.
"""

from __future__ import annotations

from flask import request, url_for
from flask_admin import BaseView, expose

from app.auth.access import AccessMixin
from app.extensions import db
from app.search import parse, search
from app.search.registry import spec_for


class SearchView(AccessMixin, BaseView):
    """« Rechercher » : one box, every record type, best first."""

    def is_visible(self) -> bool:
        # Reached from the box in the navigation bar, not from the menu.
        return False

    def readable_views(self) -> dict[str, object]:
        """{record type: its list view} for the types this account may read."""
        out = {}
        for view in self.admin._views:
            model = getattr(view, "model", None)
            spec = spec_for(model) if model is not None else None
            if spec is None or spec.record_type in out:
                continue
            if view.is_accessible():
                out[spec.record_type] = view
        return out

    @expose("/")
    def index(self):
        text = request.args.get("q", "")
        query = parse(text)
        views = self.readable_views()
        results = search(db.session, query, list(views))
        links = {}
        for group in results.groups:
            view = views[group.spec.record_type]
            links[group.spec.record_type] = {
                "all": url_for(f"{view.endpoint}.index_view", search=query.text)
                if view.column_searchable_list
                else None,
                "record": f"{view.endpoint}.details_view"
                if view.can_view_details
                else f"{view.endpoint}.edit_view",
            }
        return self.render(
            "admin/search/results.html", results=results, links=links, text=text
        )
