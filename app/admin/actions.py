"""Admin screen of follow-up actions (area "Réunions")."""

from __future__ import annotations

from datetime import date

from app.admin.base import SecuredModelView
from app.admin.fields import check_deadline
from app.admin.filters import RecordWordsFilter
from app.models import Action, ActionStatus, Member


class ActionView(SecuredModelView):
    column_list = ["title", "owner", "group", "due_on", "asap", "status", "done_on"]
    column_searchable_list = ["title", "description", "owner.last_name"]
    column_filters = [
        "status",
        # "solenn bréhaut", as the owner's picker finds them.
        RecordWordsFilter(Action.owner_id, "Responsable", Member),
        "owner.last_name",
        "due_on",
        "asap",
        "group.name",
        "done_on",
    ]
    column_default_sort = [("due_on", False), ("id", False)]
    column_sortable_list = [
        "title",
        ("owner", "owner.last_name"),
        ("group", "group.name"),
        "due_on",
        "status",
        "done_on",
    ]
    column_labels = {"owner.last_name": "Nom du responsable", "group.name": "Groupe"}
    form_columns = [
        "title",
        "description",
        "owner",
        "group",
        "meeting",
        "due_on",
        "asap",
        "status",
        "done_on",
        "plan_action",
    ]
    form_ajax_refs = {
        "owner": {"fields": ["last_name", "first_name"], "page_size": 10},
        "group": {"fields": ["name"], "page_size": 10},
        "meeting": {"fields": ["place", "objective"], "page_size": 10},
        "plan_action": {"fields": ["title"], "page_size": 10},
    }

    def extra_validation(self, form) -> bool:
        return check_deadline(form)

    def on_model_change(self, form, model, is_created):
        if model.status == ActionStatus.done and model.done_on is None:
            model.done_on = date.today()
