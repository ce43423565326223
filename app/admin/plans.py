"""Admin screens of the "Suivi des plans" area."""

from __future__ import annotations

from app.admin.base import SecuredModelView
from app.admin.fields import add_error


class PlanView(SecuredModelView):
    column_list = ["name", "short_name", "owner", "starts_on", "ends_on"]
    column_searchable_list = ["name", "short_name"]
    column_default_sort = "name"
    form_columns = ["name", "short_name", "owner", "starts_on", "ends_on"]
    form_ajax_refs = {"owner": {"fields": ["name"], "page_size": 10}}
    date_order_checks = (("starts_on", "ends_on", "La fin précède le début."),)


class PlanActionView(SecuredModelView):
    column_list = ["plan", "number", "title", "axis", "budget"]
    column_searchable_list = ["title", "axis"]
    column_filters = ["plan.short_name", "axis", "number", "budget"]
    column_default_sort = [("plan_id", False), ("number", False)]
    column_sortable_list = [("plan", "plan.name"), "number", "title", "axis", "budget"]
    column_labels = {"plan.short_name": "Plan"}
    form_columns = ["plan", "number", "title", "axis", "budget"]
    form_ajax_refs = {"plan": {"fields": ["name", "short_name"], "page_size": 10}}
    non_negative_fields = ("budget",)

    def extra_validation(self, form) -> bool:
        if form.number.data is not None and form.number.data <= 0:
            add_error(form.number, "Le numéro doit être positif.")
            return False
        return True


class AmendmentView(SecuredModelView):
    column_list = ["plan_action", "kind", "text", "proposed_by", "status"]
    column_searchable_list = ["text", "rationale"]
    column_filters = ["kind", "status"]
    column_default_sort = ("id", False)
    form_columns = [
        "plan_action",
        "kind",
        "text",
        "rationale",
        "proposed_budget",
        "proposed_by",
        "meeting",
        "status",
    ]
    form_ajax_refs = {
        "plan_action": {"fields": ["title"], "page_size": 10},
        "proposed_by": {"fields": ["last_name", "first_name"], "page_size": 10},
        "meeting": {"fields": ["place", "objective"], "page_size": 10},
    }
    non_negative_fields = ("proposed_budget",)


class IndicatorView(SecuredModelView):
    column_list = ["name", "plan_action", "unit", "baseline", "target", "target_on"]
    column_searchable_list = ["name", "description", "source"]
    column_filters = ["direction", "target_on", "unit"]
    column_default_sort = "name"
    form_columns = [
        "plan_action",
        "name",
        "description",
        "unit",
        "baseline",
        "target",
        "target_on",
        "direction",
        "source",
    ]
    form_ajax_refs = {"plan_action": {"fields": ["title"], "page_size": 10}}


class MeasurementView(SecuredModelView):
    column_list = ["indicator", "measured_on", "value", "comment"]
    column_searchable_list = ["comment", "source", "indicator.name"]
    column_filters = ["measured_on", "indicator.name"]
    column_default_sort = ("measured_on", True)
    column_labels = {"indicator.name": "Indicateur"}
    form_columns = ["indicator", "measured_on", "value", "comment", "source"]
    form_ajax_refs = {"indicator": {"fields": ["name"], "page_size": 10}}
