"""Admin screen of the calendar tokens: create one (its URLs are shown once), revoke it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, url_for
from flask_login import current_user
from markupsafe import Markup
from wtforms import BooleanField, validators

from app.admin.base import SecuredModelView
from app.auth.access import user_has
from app.extensions import db
from app.meetings.feeds import new_token
from app.models import CalendarToken, WorkingGroup
from app.models.accounts import Role
from app.models.base import utcnow


def _current_user_id() -> int | None:
    return getattr(current_user, "id", None)


def feed_urls(token: str) -> list[tuple[str, str]]:
    urls = [
        (
            "Toutes les réunions",
            url_for("feeds.all_meetings", token=token, _external=True),
        )
    ]
    groups = db.session.execute(
        sa.select(WorkingGroup)
        .where(WorkingGroup.active.is_(True))
        .order_by(WorkingGroup.name)
    ).scalars()
    for group in groups:
        urls.append(
            (
                f"Groupe « {group.name} »",
                url_for(
                    "feeds.group_meetings",
                    token=token,
                    group_id=group.id,
                    _external=True,
                ),
            )
        )
    return urls


class CalendarTokenView(SecuredModelView):
    """Tokens are shown once; only their hash is kept."""

    can_export = False
    #: A token is personal: every account, lecteur included, manages its own.
    write_role = Role.reader
    column_list = ["label", "user", "created_at", "revoked_at"]
    column_details_list = ["label", "user", "created_at", "revoked_at"]
    column_searchable_list = ["label"]
    column_filters = ["revoked_at"]
    column_default_sort = ("created_at", True)
    form_columns = ["label", "revoke"]
    form_args = {
        "label": {
            "validators": [
                validators.InputRequired(message="Le libellé est requis."),
                validators.Length(max=120, message="120 caractères au plus."),
            ],
            "description": "Par exemple « Agenda de Solenn (téléphone) ».",
        }
    }
    form_extra_fields = {
        "revoke": BooleanField(
            "Révoquer ce jeton",
            description="Les agendas abonnés avec ce jeton ne reçoivent plus rien.",
        )
    }

    # ----- each account sees its own tokens; administrators see every one
    def _scoped(self, query):
        if user_has(Role.admin):
            return query
        return query.filter(CalendarToken.user_id == _current_user_id())

    def get_query(self):
        return self._scoped(super().get_query())

    def get_count_query(self):
        query = super().get_count_query()
        return None if query is None else self._scoped(query)

    def get_one(self, id):
        # Flask-Admin's get_one() ignores get_query(): scope it too.
        row = super().get_one(id)
        if row is None or user_has(Role.admin) or row.user_id == _current_user_id():
            return row
        return None

    def record_in_scope(self, values: dict) -> bool:
        # The same rule as get_one(), for a deleted token's history and restore.
        return user_has(Role.admin) or values.get("user_id") == _current_user_id()

    def on_model_change(self, form, model, is_created):
        if is_created:
            token, digest = new_token()
            model.token_hash = digest
            model.user_id = _current_user_id()
            g.new_calendar_token = token
        revoke = getattr(form, "revoke", None)
        if revoke is not None and revoke.data and model.revoked_at is None:
            model.revoked_at = utcnow()

    def after_model_change(self, form, model, is_created):
        token = g.pop("new_calendar_token", None)
        if not is_created or token is None:
            return
        items = Markup("").join(
            Markup("<li>{}&nbsp;: <code>{}</code></li>").format(label, url)
            for label, url in feed_urls(token)
        )
        flash(
            Markup(
                "Jeton créé. Copiez maintenant l'adresse d'abonnement dans votre "
                "agenda : elle ne sera plus affichée. <ul>{}</ul>"
            ).format(items),
            "success",
        )

    def create_form(self, obj=None):
        form = super().create_form(obj)
        # A new token cannot be revoked before anyone saw it.
        del form.revoke
        return form
