"""The administrators' journal: every change of every record, read-only."""

from __future__ import annotations

from flask import url_for
from flask_admin.contrib.sqla.filters import FilterEqual
from markupsafe import Markup

from app.admin.base import SecuredModelView
from app.extensions import db
from app.history.recorder import is_tracked
from app.labels import field_label, model_for_table, type_label
from app.models.accounts import Role
from app.models.history import ChangeLog
from app.timezone import paris_time


class AdminLogView(SecuredModelView):
    """A log the tool keeps itself (changes, security events, jobs): read by
    administrators only, never written through its screen."""

    read_role = Role.admin
    write_role = Role.admin
    export_role = Role.admin
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = False


def record_type_choices() -> list[tuple[str, str]]:
    choices = [
        (m.class_.__tablename__, getattr(m.class_, "__label__", m.class_.__name__))
        for m in db.Model.registry.mappers
        if is_tracked(m.class_)
    ]
    return sorted(choices, key=lambda c: c[1])


def _type(view, context, model, name) -> str:
    return type_label(model.record_type)


def _record(view, context, model, name):
    label = model.record_label or f"n° {model.record_id}"
    if model_for_table(model.record_type) is None:
        return label
    try:
        url = url_for(f"{model.record_type}.history_view", id=model.record_id)
    except Exception:  # the record type has no admin screen
        return label
    return Markup('<a href="{}">{}</a>').format(url, label)


def _fields(view, context, model, name) -> str:
    cls = model_for_table(model.record_type)
    if cls is None:
        return ", ".join(model.changes or {})
    return ", ".join(field_label(cls, k) for k in (model.changes or {}))


def _when(view, context, model, name) -> str:
    return paris_time(model.changed_at)


ADMIN_ROLES = {"admin", "administrator", "administrateur"}


class JournalView(AdminLogView):
    """Read-only; administrators only."""

    can_export = False
    column_list = [
        "changed_at",
        "actor_label",
        "kind",
        "record_type",
        "record_label",
        "changes",
        "note",
    ]
    column_labels = {"changed_at": "Date", "changes": "Champs modifiés"}
    column_default_sort = ("id", True)
    column_sortable_list = ["changed_at", "actor_label", "kind", "record_type"]
    column_searchable_list = ["record_label", "actor_label"]
    column_formatters = {
        "record_type": _type,
        "record_label": _record,
        "changes": _fields,
        "changed_at": _when,
    }

    def __init__(self, model=ChangeLog, session=None, **kwargs):
        self.column_filters = [
            "actor_label",
            FilterEqual(
                ChangeLog.record_type, "Type de fiche", options=record_type_choices
            ),
            "kind",
            "changed_at",
        ]
        kwargs.setdefault("name", "Journal des modifications")
        super().__init__(model, session, **kwargs)

    def get_list_row_actions(self):
        return []
