"""The "Courriels" screen: every queued message, its state, and "renvoyer"."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash
from flask_admin.actions import action

from app.admin.base import SecuredModelView
from app.extensions import db
from app.mail.outbox import resend
from app.mail.settings import NOT_CONFIGURED_MESSAGE, mail_configured
from app.models import OutboxMessage
from app.models.accounts import Role


class OutboxMessageView(SecuredModelView):
    """Read-only list of messages (bodies hold personal data: éditeur and above)."""

    read_role = Role.editor
    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    list_template = "admin/mail/list.html"
    column_list = [
        "created_at",
        "to_address",
        "subject",
        "purpose",
        "state",
        "attempts",
        "last_error",
        "sent_at",
        "meeting",
    ]
    column_details_list = [
        "created_at",
        "created_by",
        "purpose",
        "meeting",
        "member",
        "to_name",
        "to_address",
        "subject",
        "body",
        "attachments",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "purged_at",
        "message_id",
    ]
    column_searchable_list = ["to_address", "subject"]
    column_filters = ["state", "purpose", "created_at", "to_address"]
    column_sortable_list = ["created_at", "to_address", "state", "attempts", "sent_at"]
    column_default_sort = ("created_at", True)
    column_formatters_detail = {
        "attachments": lambda v, c, m, n: (
            ", ".join(f"{a.filename} ({len(a.content)} octets)" for a in m.attachments)
            or "—"
        ),
    }

    @action(
        "resend",
        "Renvoyer",
        "Remettre les messages choisis dans la file d'envoi ?",
    )
    def action_resend(self, ids):
        messages = db.session.execute(
            sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids))
        ).scalars()
        done = refused = 0
        for message in messages:
            if resend(message):
                done += 1
            else:
                refused += 1
        db.session.commit()
        if done:
            flash(f"{done} message(s) remis dans la file d'envoi.", "success")
        if refused:
            flash(
                f"{refused} message(s) non renvoyé(s) : en attente, en cours "
                "d'envoi, ou texte déjà effacé.",
                "warning",
            )

    def render(self, template, **kwargs):
        kwargs.setdefault("mail_configured", mail_configured())
        kwargs.setdefault("not_configured", NOT_CONFIGURED_MESSAGE)
        return super().render(template, **kwargs)
