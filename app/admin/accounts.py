"""Staff accounts, managed on screen by administrators only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash
from flask_login import current_user
from wtforms import PasswordField, validators

from app.admin.base import SecuredModelView
from app.admin.fields import add_error, email_validator
from app.admin.journal import AdminLogView
from app.auth import events
from app.auth.passwords import hash_password, password_problems
from app.auth.sessions import end_other_sessions
from app.extensions import db
from app.models.accounts import Role, SecurityEventKind, User
from app.models.base import utcnow


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class AccountView(SecuredModelView):
    read_role = Role.admin
    write_role = Role.admin
    export_role = Role.admin
    # Password hashes never leave the database.
    can_export = False
    column_list = ["email", "name", "role", "active", "member", "last_login_at"]
    column_details_list = [
        "email",
        "name",
        "role",
        "active",
        "member",
        "last_login_at",
        "password_changed_at",
        "created_at",
    ]
    column_searchable_list = ["email", "name"]
    column_filters = ["role", "active"]
    column_default_sort = "email"
    form_columns = ["email", "name", "role", "active", "member", "new_password"]
    form_extra_fields = {
        "new_password": PasswordField(
            "Nouveau mot de passe",
            description="Au moins 12 caractères. À la création : obligatoire ; "
            "en modification : laisser vide pour ne pas le changer.",
        )
    }
    form_args = {
        "email": {
            "filters": [_lower],
            "validators": [
                validators.DataRequired("Ce champ est obligatoire."),
                validators.Email(
                    "Adresse courriel invalide.", check_deliverability=False
                ),
                # The members' normaliser: it also refuses look-alike addresses.
                email_validator,
            ],
        },
    }
    form_widget_args = {"new_password": {"autocomplete": "new-password"}}

    def extra_validation(self, form) -> bool:
        ok = True
        password = form.new_password.data or ""
        creating = self._editing_id() is None
        if creating and not password:
            add_error(
                form.new_password,
                "Un mot de passe est obligatoire pour un nouveau compte.",
            )
            ok = False
        elif password:
            problems = password_problems(password, form.email.data, form.name.data)
            if problems:
                form.new_password.errors = [*form.new_password.errors, *problems]
                ok = False
        if not creating and not self._keeps_an_admin(form):
            add_error(form.role, "Il doit rester au moins un administrateur actif.")
            ok = False
        return ok

    def _keeps_an_admin(self, form) -> bool:
        role = form.role.data
        role = (
            Role[role] if isinstance(role, str) and role in Role.__members__ else role
        )
        if role == Role.admin and form.active.data:
            return True
        return self._other_active_admins(self._editing_id()) > 0

    def _other_active_admins(self, user_id) -> int:
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            user_id = -1
        return db.session.execute(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.role == Role.admin, User.active.is_(True), User.id != user_id)
        ).scalar_one()

    def on_model_change(self, form, model: User, is_created: bool) -> None:
        model.email = _lower(model.email)
        password = form.new_password.data
        if password:
            model.password_hash = hash_password(password)
            model.password_changed_at = utcnow()
        if not is_created and (password or not model.active):
            # A reset password or a deactivation ends that user's sessions
            # (an administrator changing their own keeps this one).
            db.session.flush()
            end_other_sessions(model, keep_current=model.id == current_user.id)
        kind = (
            SecurityEventKind.account_created
            if is_created
            else SecurityEventKind.account_changed
        )
        if not is_created and password:
            kind = SecurityEventKind.password_change
        db.session.flush()
        events.record(
            kind,
            user=model,
            detail=f"par {current_user.email}; rôle {model.role.name}; "
            f"actif {'oui' if model.active else 'non'}",
            commit=False,
        )

    def delete_model(self, model: User) -> bool:
        if model.id == current_user.id:
            flash("Vous ne pouvez pas supprimer votre propre compte.", "error")
            return False
        if (
            model.role == Role.admin
            and model.active
            and not self._other_active_admins(model.id)
        ):
            flash("Il doit rester au moins un administrateur actif.", "error")
            return False
        return super().delete_model(model)


class SecurityLogView(AdminLogView):
    """The security log, read-only, for administrators (logins, refusals…)."""

    column_list = ["at", "kind", "email", "ip", "detail"]
    column_filters = ["kind", "email", "ip", "at"]
    column_searchable_list = ["email", "ip", "detail"]
    column_default_sort = ("at", True)
