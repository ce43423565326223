"""Admin screen of the "Documents" area."""

from __future__ import annotations

from wtforms import validators

from app.admin.base import SecuredModelView, linkify
from app.admin.fields import web_link


class DocumentView(SecuredModelView):
    column_list = ["title", "kind", "status", "doc_date", "group", "author", "public"]
    column_searchable_list = ["title", "recipients"]
    column_filters = ["kind", "status", "doc_date", "public", "group.name"]
    column_default_sort = [("doc_date", True), ("id", True)]
    column_labels = {"group.name": "Groupe"}
    form_columns = [
        "title",
        "kind",
        "status",
        "url",
        "doc_version",
        "doc_date",
        "author",
        "group",
        "meeting",
        "plan_actions",
        "recipients",
        "public",
    ]
    form_collections = ("plan_actions",)
    form_args = {
        "url": {
            "validators": [
                validators.Optional(),
                web_link,
            ]
        }
    }
    form_ajax_refs = {
        "author": {"fields": ["last_name", "first_name"], "page_size": 10},
        "group": {"fields": ["name"], "page_size": 10},
        "meeting": {"fields": ["place", "objective"], "page_size": 10},
        "plan_actions": {"fields": ["title"], "page_size": 10},
    }
    column_formatters = {"url": lambda v, c, m, n: linkify(m.url)}
    column_formatters_detail = column_formatters
