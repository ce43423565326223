"""Admin screens of the "Personnes" area."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_admin.model.form import InlineFormAdmin

from app.admin.base import SecuredModelView
from app.admin.fields import add_error, email_validator, phone_validator
from app.admin.filters import LiveChoices, RecordFilter
from app.admin.related import MemberRelatedMixin
from app.extensions import db
from app.labels import model_labels
from app.models import Action, Meeting, Member, Membership, WorkingGroup
from app.normalisers import display_phone


class OrganisationView(SecuredModelView):
    column_list = ["name", "kind", "town"]
    column_searchable_list = ["name", "town"]
    column_filters = ["kind", "town"]
    column_default_sort = "name"
    form_columns = ["name", "kind", "town"]


class CollegeView(SecuredModelView):
    column_list = ["name", "position"]
    column_searchable_list = ["name"]
    column_default_sort = "position"
    form_columns = ["name", "position"]


class MemberView(MemberRelatedMixin, SecuredModelView):
    #: Adds the attendance rate (issue 5) under the record.
    details_template = "admin/people/member_details.html"
    column_list = [
        "last_name",
        "first_name",
        "email",
        "phone",
        "organisation",
        "college",
        "town",
        "role",
        "left_on",
    ]
    column_searchable_list = ["last_name", "first_name", "email", "town"]
    column_filters = [
        "role",
        RecordFilter(
            Member.id,
            "Groupe de travail",
            LiveChoices(WorkingGroup, WorkingGroup.name),
            keys=lambda group_id: sa.select(Membership.member_id).where(
                Membership.group_id == group_id,
                sa.or_(Membership.until.is_(None), Membership.until >= date.today()),
            ),
            operation="en est membre actuellement",
        ),
        "college.name",
        "town",
        "joined_on",
        "left_on",
    ]
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_formatters = {"phone": lambda v, c, m, n: display_phone(m.phone)}
    column_formatters_detail = column_formatters
    form_columns = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "organisation",
        "college",
        "town",
        "role",
        "joined_on",
        "left_on",
        "notes",
    ]
    form_args = {
        "email": {"validators": [email_validator]},
        "phone": {"validators": [phone_validator]},
    }
    column_labels = {"college.name": "Collège"}
    date_order_checks = (
        ("joined_on", "left_on", "La date de départ précède la date d'entrée."),
    )
    form_ajax_refs = {
        "organisation": {"fields": ["name", "town"], "page_size": 10},
        "college": {"fields": ["name"], "page_size": 10},
    }

    def owned_actions(self, member) -> list[Action]:
        """The follow-up actions this member is responsible for (details page)."""
        return list(
            db.session.execute(
                sa.select(Action)
                .where(Action.owner_id == member.id)
                .order_by(Action.due_on.desc().nulls_last(), Action.id.desc())
                .limit(100)
            ).scalars()
        )

    def on_form_prefill(self, form, id):
        # Show stored E.164 numbers in the familiar national layout.
        if form.phone.data and not form.phone.raw_data:
            form.phone.data = display_phone(form.phone.data)


class MembershipInline(InlineFormAdmin):
    form_columns = ["id", "member", "role", "since", "until"]
    column_labels = model_labels(Membership)
    form_ajax_refs = {
        "member": {
            "fields": ["last_name", "first_name", "email"],
            "page_size": 10,
            "placeholder": "Rechercher un membre…",
        }
    }


class WorkingGroupView(SecuredModelView):
    #: Adds the attendance rates (issue 5) under the record.
    details_template = "admin/people/group_details.html"
    column_list = ["name", "active", "description"]
    column_searchable_list = ["name", "description"]
    column_filters = ["active"]
    column_default_sort = "name"
    form_columns = ["name", "description", "active", "memberships"]
    inline_models = [MembershipInline(Membership)]

    def group_meetings(self, group) -> list[Meeting]:
        """The group's meetings, latest first (details page)."""
        return list(
            db.session.execute(
                sa.select(Meeting)
                .where(Meeting.group_id == group.id)
                .order_by(Meeting.starts_at.desc())
                .limit(100)
            ).scalars()
        )

    def extra_validation(self, form) -> bool:
        ok = True
        seen: dict[tuple, int] = {}
        for number, entry in enumerate(form.memberships.entries, start=1):
            sub = entry.form
            member = sub.member.data
            if member is None:
                continue
            key = (member.id, sub.since.data)
            if key in seen:
                # Named beside the row, like the meeting's attendance does.
                add_error(
                    sub.member,
                    f"« {member} » figure déjà à la ligne {seen[key]} "
                    "avec la même date de début.",
                )
                ok = False
            seen.setdefault(key, number)
            if sub.since.data and sub.until.data and sub.until.data < sub.since.data:
                add_error(sub.until, "La date de fin précède la date de début.")
                ok = False
        return ok


class MembershipView(SecuredModelView):
    column_list = ["member", "group", "role", "since", "until"]
    column_searchable_list = ["member.last_name", "member.first_name", "group.name"]
    column_filters = ["role", "group.name", "since", "until"]
    column_default_sort = [("group.name", False), ("member.last_name", False)]
    column_sortable_list = [
        ("member", "member.last_name"),
        ("group", "group.name"),
        "role",
        "since",
        "until",
    ]
    form_columns = ["member", "group", "role", "since", "until"]
    column_labels = {
        "member.last_name": "Nom du membre",
        "member.first_name": "Prénom du membre",
        "group.name": "Groupe",
    }
    date_order_checks = (
        ("since", "until", "La date de fin précède la date de début."),
    )
