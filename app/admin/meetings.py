"""Admin screens of the "Réunions" area."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.model.form import InlineFormAdmin
from flask_admin.model.template import LinkRowAction
from markupsafe import Markup
from wtforms import validators

from app.admin.attendance import AttendanceScreen
from app.admin.base import URL_VALIDATORS, SecuredModelView, linkify
from app.admin.convocation import ConvocationScreen, flash_meeting_notices
from app.admin.fields import MeetingStartField, add_error, check_decision
from app.admin.minutes import MinutesScreen
from app.admin.related import MeetingRelatedMixin
from app.admin.report import ReportScreens
from app.extensions import db
from app.labels import model_labels
from app.meetings.report import render_markdown
from app.models import Attendance, Decision, Member
from app.timezone import PARIS


class AttendanceInline(InlineFormAdmin):
    form_columns = ["id", "member", "status", "guest"]
    column_labels = model_labels(Attendance)
    form_ajax_refs = {
        "member": {
            "fields": ["last_name", "first_name", "email"],
            "page_size": 10,
            "placeholder": "Rechercher un membre…",
        }
    }


class DecisionInline(InlineFormAdmin):
    form_columns = ["id", "text", "due_on", "asap", "position"]
    column_labels = model_labels(Decision)


def duplicate_attendance_errors(entries) -> bool:
    """Mark the second occurrence of a member in attendance sub-forms."""
    ok = True
    seen = set()
    for entry in entries:
        sub = entry.form
        member = sub.member.data
        if member is None:
            continue
        if member.id in seen:
            add_error(sub.member, "Ce membre figure déjà dans la liste de présence.")
            ok = False
        seen.add(member.id)
    return ok


def decision_errors(entries) -> bool:
    # Check every line (no short-circuit) so that each gets its messages.
    return all([check_decision(entry.form) for entry in entries])


def attendance_summary(view, context, model, name) -> Markup:
    """Present and excused members, by status, in one stable order."""
    by_status: dict[str, list[str]] = {}
    for att in sorted(
        model.attendances, key=lambda a: (a.member.last_name, a.member.first_name)
    ):
        by_status.setdefault(att.status.label, []).append(att.member.full_name)
    parts = [
        Markup("<strong>{} ({})</strong> : {}").format(
            status, len(names), ", ".join(names)
        )
        for status, names in by_status.items()
    ]
    return Markup("<br>").join(parts)


class MeetingView(
    AttendanceScreen,
    MinutesScreen,
    ReportScreens,
    ConvocationScreen,
    MeetingRelatedMixin,
    SecuredModelView,
):
    details_template = "admin/meetings/meeting_details.html"
    #: Editing screens: a lecteur reads the details and the compte rendu instead.
    extra_write_views = frozenset(
        {
            "attendance_view",
            "minutes_view",
            "convocation_view",
            "convocation_letters_view",
            "report_share_view",
        }
    )
    column_extra_row_actions = [
        LinkRowAction("fa fa-check-square-o", "attendance/?id={row_id}", "Présences"),
        LinkRowAction("fa fa-pencil-square-o", "minutes/?id={row_id}", "Compte rendu"),
        LinkRowAction(
            "fa fa-file-text-o", "report/?id={row_id}", "Voir le compte rendu"
        ),
    ]
    column_list = [
        "starts_at",
        "group",
        "kind",
        "place",
        "status",
        "objective",
        "public",
    ]
    column_searchable_list = ["place", "objective", "group.name"]
    column_filters = ["starts_at", "kind", "status", "group.name"]
    column_default_sort = ("starts_at", True)
    column_sortable_list = [
        "starts_at",
        ("group", "group.name"),
        "kind",
        "place",
        "status",
    ]
    column_labels = {"group.name": "Groupe"}
    form_columns = [
        "group",
        "kind",
        "starts_at",
        "time_unknown",
        "ends_at",
        "place",
        "status",
        "objective",
        "author",
        "context",
        "exchanges",
        "documents_label",
        "documents_url",
        "next_meeting",
        "public",
        "attendances",
        "decisions",
    ]
    form_overrides = {"starts_at": MeetingStartField}
    inline_models = [AttendanceInline(Attendance), DecisionInline(Decision)]
    form_args = {
        "documents_url": {"validators": list(URL_VALIDATORS)},
        "documents_label": {"validators": [validators.Length(max=200)]},
        "place": {"validators": [validators.Length(max=255)]},
    }
    form_ajax_refs = {
        "group": {"fields": ["name"], "page_size": 10},
        "author": {"fields": ["last_name", "first_name"], "page_size": 10},
        "next_meeting": {"fields": ["place", "objective"], "page_size": 10},
        # Guests and staff added on the attendance screen (any member).
        "attendee": QueryAjaxModelLoader(
            "attendee",
            db,
            Member,
            fields=["last_name", "first_name", "email"],
            order_by=Member.last_name,
            page_size=10,
            placeholder="Rechercher un membre…",
            minimum_input_length=1,
        ),
    }
    column_formatters = {
        "documents_url": lambda v, c, m, n: linkify(m.documents_url, m.documents_label),
        "starts_at": lambda v, c, m, n: m.start_label,
    }
    column_formatters_detail = {
        **column_formatters,
        "attendances": attendance_summary,
        # Written in Markdown on the minutes screen: shown formatted, not **raw**.
        "context": lambda v, c, m, n: render_markdown(m.context),
        "exchanges": lambda v, c, m, n: render_markdown(m.exchanges),
    }
    column_details_list = [
        "group",
        "kind",
        "starts_at",
        "ends_at",
        "place",
        "status",
        "objective",
        "author",
        "attendances",
        "context",
        "exchanges",
        "decisions",
        "documents_url",
        "next_meeting",
    ]
    date_order_checks = (("starts_at", "ends_at", "La fin précède le début."),)

    def after_model_change(self, form, model, is_created):
        super().after_model_change(form, model, is_created)
        flash_meeting_notices()

    def on_form_prefill(self, form, id):
        model = self.get_one(id)
        if model is not None and model.time_unknown:
            form.starts_at.date_only = True

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        # A day typed without a time means "heure non précisée", like the box.
        if getattr(form.starts_at, "date_only", False):
            model.time_unknown = True
        if model.time_unknown and model.starts_at is not None:
            day = model.starts_at.astimezone(PARIS).date()
            model.starts_at = datetime.combine(day, time(0), PARIS).astimezone(UTC)

    def get_save_return_url(self, model, is_created=False):
        # A new meeting opens on its page, whose buttons lead to the next steps
        # (attendance, minutes, compte rendu), rather than back on the list.
        if is_created:
            return self.get_url(".details_view", id=model.id)
        return super().get_save_return_url(model, is_created)

    def extra_validation(self, form) -> bool:
        ok = duplicate_attendance_errors(form.attendances.entries)
        ok = decision_errors(form.decisions.entries) and ok
        nxt = form.next_meeting.data
        if nxt is not None and form.starts_at.data is not None:
            if nxt.starts_at <= form.starts_at.data:
                add_error(
                    form.next_meeting,
                    "La prochaine réunion doit être postérieure à celle-ci.",
                )
                ok = False
        return ok


class AttendanceView(SecuredModelView):
    column_list = ["meeting", "member", "status", "guest"]
    column_searchable_list = ["member.last_name", "member.first_name"]
    column_filters = ["status", "guest", "meeting.starts_at"]
    column_sortable_list = [
        ("meeting", "meeting.starts_at"),
        ("member", "member.last_name"),
        "status",
    ]
    column_default_sort = ("id", True)
    column_labels = {
        "member.last_name": "Nom du membre",
        "member.first_name": "Prénom du membre",
        "meeting.starts_at": "Date de la réunion",
    }
    form_columns = ["meeting", "member", "status", "guest"]
    form_ajax_refs = {
        "meeting": {"fields": ["place", "objective"], "page_size": 10},
        "member": {"fields": ["last_name", "first_name", "email"], "page_size": 10},
    }


class DecisionView(SecuredModelView):
    column_list = ["meeting", "text", "due_on", "asap"]
    column_searchable_list = ["text"]
    column_filters = ["due_on", "asap"]
    column_default_sort = ("id", True)
    form_columns = ["meeting", "text", "due_on", "asap", "position"]
    form_ajax_refs = {"meeting": {"fields": ["place", "objective"], "page_size": 10}}

    def extra_validation(self, form) -> bool:
        return check_decision(form)
