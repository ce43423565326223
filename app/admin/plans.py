"""Admin screens of the "Suivi des plans" area: the record views.

The plan page and the avis live in ``plans_page.py``, the amendment's reading and
circuit in ``plans_amendments.py``, the indicator page in ``plans_indicators.py``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from markupsafe import Markup

from app.admin.base import SecuredModelView
from app.admin.fields import add_error
from app.admin.filters import LiveChoices, RecordFilter, RecordWordsFilter
from app.admin.plans_amendments import AmendmentScreens
from app.admin.plans_fields import EurosField, PercentField
from app.admin.plans_indicators import IndicatorScreens
from app.admin.plans_page import PlanScreens
from app.admin.related import (
    IndicatorRelatedMixin,
    PlanActionRelatedMixin,
    PlanRelatedMixin,
)
from app.extensions import db
from app.models import Meeting
from app.models.plans import (
    Amendment,
    AmendmentKind,
    Indicator,
    Measurement,
    Plan,
    PlanAction,
)
from app.plans.circuit import record_creation

SHARE_RANGE = "La part doit être comprise entre 0 et 100 %."


def _plan_link(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(
        url_for("plan.page_view", id=model.id), model.name
    )


class PlanView(PlanRelatedMixin, PlanScreens, SecuredModelView):
    column_list = ["name", "short_name", "owner", "starts_on", "ends_on", "public"]
    column_searchable_list = ["name", "short_name"]
    column_default_sort = "name"
    column_formatters = {"name": _plan_link}
    form_columns = ["name", "short_name", "owner", "starts_on", "ends_on", "public"]
    form_ajax_refs = {"owner": {"fields": ["name"], "page_size": 10}}
    date_order_checks = (("starts_on", "ends_on", "La fin précède le début."),)


class PlanActionView(PlanActionRelatedMixin, SecuredModelView):
    column_list = [
        "plan",
        "number",
        "title",
        "axis",
        "budget",
        "progress_status",
        "public",
    ]
    column_searchable_list = ["title", "axis"]
    column_filters = ["plan.short_name", "axis", "number", "budget", "progress_status"]
    column_default_sort = [("plan_id", False), ("number", False)]
    column_sortable_list = [
        ("plan", "plan.name"),
        "number",
        "title",
        "axis",
        "budget",
        "progress_status",
    ]
    column_labels = {"plan.short_name": "Plan"}
    form_columns = [
        "plan",
        "number",
        "title",
        "axis",
        "budget",
        "progress_status",
        "progress_percent",
        "progress_on",
        "public",
    ]
    form_overrides = {"budget": EurosField}
    form_args = {
        "budget": {"description": "Par exemple 150 000 € ou 30 k€."},
        "progress_percent": {"description": "Facultatif, de 0 à 100."},
    }
    form_ajax_refs = {"plan": {"fields": ["name", "short_name"], "page_size": 10}}
    non_negative_fields = ("budget",)

    def extra_validation(self, form) -> bool:
        ok = True
        if form.number.data is not None and form.number.data <= 0:
            add_error(form.number, "Le numéro doit être positif.")
            ok = False
        pct = form.progress_percent.data
        if pct is not None and not 0 <= pct <= 100:
            add_error(form.progress_percent, "L'avancement va de 0 à 100 %.")
            ok = False
        return ok


class AmendmentView(AmendmentScreens, SecuredModelView):
    column_list = ["plan_action", "kind", "text", "proposed_by", "status", "public"]
    column_searchable_list = ["text", "rationale"]
    column_filters = [
        "kind",
        "status",
        RecordFilter(
            Amendment.plan_action_id,
            "Plan",
            LiveChoices(Plan, Plan.name),
            keys=lambda plan_id: sa.select(PlanAction.id).where(
                PlanAction.plan_id == plan_id
            ),
        ),
        # "stn 7", as the action's picker finds it.
        RecordWordsFilter(Amendment.plan_action_id, "Action du plan", PlanAction),
        "plan_action.number",
        # "innovation 16/04/2019", as the meeting's picker finds it.
        RecordWordsFilter(Amendment.meeting_id, "Réunion d'examen", Meeting),
    ]
    column_labels = {"plan_action.number": "N° de l'action"}
    column_default_sort = ("id", False)
    column_formatters = {
        "text": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            url_for("amendment.reading_view", id=m.id), m.text
        )
    }
    #: The status moves along the circuit on the amendment's page (who, when).
    form_columns = [
        "plan_action",
        "kind",
        "text",
        "rationale",
        "proposed_budget",
        "proposed_share",
        "proposed_by",
        "meeting",
        "public",
    ]
    form_overrides = {"proposed_budget": EurosField, "proposed_share": PercentField}
    form_args = {
        "proposed_budget": {"description": "Par exemple 90 000 € ou 90 k€."},
        "proposed_share": {
            "description": "« à hauteur de 25 % du budget total » : saisissez 25 ; "
            "le montant est calculé sur le budget total du plan."
        },
    }
    form_ajax_refs = {
        "plan_action": {"fields": ["title"], "page_size": 10},
        "proposed_by": {"fields": ["last_name", "first_name"], "page_size": 10},
        "meeting": {"fields": ["place", "objective"], "page_size": 10},
    }
    non_negative_fields = ("proposed_budget",)

    def extra_validation(self, form) -> bool:
        ok = True
        kind = form.kind.data
        text = (form.text.data or "").strip()
        if kind == AmendmentKind.replace and not text:
            add_error(
                form.text, "Un amendement « remplacer » a besoin du texte proposé."
            )
            ok = False
        elif kind in (AmendmentKind.complete, AmendmentKind.add) and not text:
            add_error(form.text, "Saisissez les mots à ajouter.")
            ok = False
        share = form.proposed_share.data
        if share is not None and not 0 <= share <= 100:
            add_error(form.proposed_share, SHARE_RANGE)
            ok = False
        if share is not None and form.proposed_budget.data is not None:
            add_error(
                form.proposed_share,
                "Indiquez soit un budget, soit une part du budget total, pas les deux.",
            )
            ok = False
        return ok

    def after_model_change(self, form, model, is_created) -> None:
        super().after_model_change(form, model, is_created)
        if is_created:
            record_creation(model)
            db.session.commit()


class IndicatorView(IndicatorRelatedMixin, IndicatorScreens, SecuredModelView):
    column_list = [
        "name",
        "plan_action",
        "unit",
        "baseline",
        "target",
        "target_on",
        "public",
    ]
    column_searchable_list = ["name", "description", "source"]
    column_filters = ["direction", "target_on", "unit"]
    column_default_sort = "name"
    column_formatters = {
        "name": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            url_for("indicator.chart_view", id=m.id), m.name
        )
    }
    form_columns = [
        "plan_action",
        "name",
        "description",
        "unit",
        "baseline",
        "baseline_on",
        "target",
        "target_on",
        "direction",
        "source",
        "public",
    ]
    form_args = {
        "unit": {"description": "Par exemple %, €, nombre de personnes."},
        "baseline_on": {"description": "Début de la trajectoire vers la cible."},
    }
    form_ajax_refs = {"plan_action": {"fields": ["title"], "page_size": 10}}
    date_order_checks = (
        (
            "baseline_on",
            "target_on",
            "L'échéance de la cible précède la date de référence.",
        ),
    )

    def extra_validation(self, form) -> bool:
        if not (form.unit.data or "").strip():
            add_error(form.unit, "L'unité est requise (par exemple %, €, nombre).")
            return False
        return True


class MeasurementView(SecuredModelView):
    column_list = ["indicator", "measured_on", "value", "comment"]
    column_searchable_list = ["comment", "source", "indicator.name"]
    column_filters = ["measured_on", "indicator.name"]
    column_default_sort = ("measured_on", True)
    column_labels = {"indicator.name": "Indicateur"}
    form_columns = ["indicator", "measured_on", "value", "comment", "source"]
    form_ajax_refs = {"indicator": {"fields": ["name"], "page_size": 10}}

    def unique_message(self, cols: list[str]) -> str:
        if "measured_on" in cols:
            return "Cet indicateur a déjà une mesure à cette date."
        return super().unique_message(cols)

    def extra_validation(self, form) -> bool:
        indicator = form.indicator.data
        day = form.measured_on.data
        if isinstance(indicator, Indicator) and day is not None:
            start = db.session.execute(
                sa.select(Indicator.baseline_on).where(Indicator.id == indicator.id)
            ).scalar()
            if start is not None and day < start:
                add_error(
                    form.measured_on,
                    f"La mesure précède la date de référence de l'indicateur "
                    f"({start:%d/%m/%Y}).",
                )
                return False
        return True


__all__ = [
    "AmendmentView",
    "IndicatorView",
    "Measurement",
    "MeasurementView",
    "PlanActionView",
    "PlanView",
]
