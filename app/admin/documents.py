"""Admin screens of the "Documents" area: documents, their circuit, their files."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash
from flask_admin.actions import action
from flask_admin.model.form import InlineFormAdmin
from flask_admin.model.template import LinkRowAction
from markupsafe import Markup
from wtforms import validators

from app.admin.base import SecuredModelView, linkify
from app.admin.document_files import DocumentFilesScreens, download_link
from app.admin.fields import add_error, web_link
from app.documents import workflow
from app.documents.safety import human_size
from app.exports.columns import NUMBER, TEXT
from app.extensions import db
from app.labels import model_labels
from app.meetings.report import render_markdown
from app.models import Document, DocumentVersion, Transmission

RECIPIENT_MISSING = (
    "Indiquez un destinataire : un membre, une structure ou un texte libre "
    "(« élus de Lorient Agglomération », « presse »)."
)
PICKER = {"page_size": 10, "placeholder": "Rechercher…", "minimum_input_length": 0}


def check_recipient(form) -> bool:
    """A transmission names its recipient; the message goes on the free-text field."""
    if form.member.data or form.organisation.data:
        return True
    if (form.recipient_text.data or "").strip():
        return True
    add_error(form.recipient_text, RECIPIENT_MISSING)
    return False


class TransmissionInline(InlineFormAdmin):
    form_columns = [
        "id",
        "member",
        "organisation",
        "recipient_text",
        "sent_on",
        "means",
        "note",
    ]
    column_labels = model_labels(Transmission)
    form_ajax_refs = {
        "member": {"fields": ["last_name", "first_name", "email"], **PICKER},
        "organisation": {"fields": ["name"], **PICKER},
    }


def _markdown(view, context, model, name) -> Markup:
    return render_markdown(getattr(model, name))


def _current_file(view, context, model, name) -> Markup | str:
    version = model.current_version
    if version is None:
        return "—"
    return Markup("{} — {}, version {}{}").format(
        download_link(version),
        human_size(version.size),
        version.number,
        " (retenue)" if model.chosen_version else "",
    )


def _transmissions(view, context, model, name) -> Markup:
    items = [
        Markup("<li>{}</li>").format(transmission_line(t)) for t in model.transmissions
    ]
    return (
        Markup("<ul class='mb-0'>{}</ul>").format(Markup("").join(items))
        if items
        else ""
    )


def transmission_line(t: Transmission) -> str:
    """ "Solenn Bréhaut — 23/04/2019, courriel — intégration au document officiel"."""
    when = t.sent_on.strftime("%d/%m/%Y") if t.sent_on else "date non renseignée"
    line = f"{t.recipient} — {when}, {t.means.label.lower()}"
    if t.note:
        line += f" — {t.note.strip()}"
    return line


class DocumentView(DocumentFilesScreens, SecuredModelView):
    details_template = "admin/documents/document_details.html"
    column_list = ["title", "kind", "status", "doc_date", "group", "author", "public"]
    column_searchable_list = ["title", "recipients", "body"]
    column_filters = ["kind", "status", "doc_date", "public", "group.name"]
    column_default_sort = [("doc_date", True), ("id", True)]
    column_labels = {"group.name": "Groupe", "current_file": "Fichier courant"}
    column_extra_row_actions = [
        LinkRowAction("fa fa-paperclip", "files/?id={row_id}", "Fichiers et versions"),
    ]
    form_columns = [
        "title",
        "kind",
        "status",
        "body",
        "quote_in_minutes",
        "url",
        "doc_version",
        "doc_date",
        "author",
        "group",
        "meeting",
        "plan_actions",
        "recipients",
        "public",
        "transmissions",
    ]
    form_collections = ("plan_actions",)
    inline_models = [TransmissionInline(Transmission)]
    form_widget_args = {"body": {"rows": 12}}
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
    column_details_list = [
        "title",
        "kind",
        "status",
        "doc_date",
        "author",
        "group",
        "meeting",
        "body",
        "quote_in_minutes",
        "current_file",
        "url",
        "doc_version",
        "plan_actions",
        "recipients",
        "transmissions",
        "public",
        "created_at",
        "updated_at",
    ]
    column_formatters = {"url": lambda v, c, m, n: linkify(m.url)}
    column_formatters_detail = {
        **column_formatters,
        "body": _markdown,
        "current_file": _current_file,
        "transmissions": _transmissions,
    }

    # ----- status workflow and circuit
    def _stored_status(self):
        record_id = self._editing_id()
        if record_id is None:
            return None
        document = self.get_one(record_id)
        return document.status if document is not None else None

    def extra_validation(self, form) -> bool:
        entries = [
            e
            for e in form.transmissions.entries
            if not form.transmissions.should_delete(e)
        ]
        ok = all([check_recipient(e.form) for e in entries])
        new = form.status.data
        error = workflow.transition_error(self._stored_status(), new)
        if error:
            add_error(form.status, error)
            return False
        if new in workflow.NEEDS_TRANSMISSION and not entries:
            add_error(
                form.status, workflow.TRANSMISSION_NEEDED.format(status=new.label)
            )
            ok = False
        return ok

    @action(
        "step_forward",
        "Passer à l'étape suivante",
        "Faire avancer chaque document sélectionné d'une étape "
        "(brouillon → en relecture → validé → transmis → publié) ?",
    )
    def action_step_forward(self, ids) -> None:
        documents = db.session.execute(
            sa.select(Document).where(Document.id.in_([int(i) for i in ids]))
        ).scalars()
        moved, refused = 0, []
        for document in documents:
            reason = workflow.step_forward(document)
            if reason:
                refused.append(reason)
            else:
                moved += 1
        db.session.commit()
        if moved:
            flash(f"{moved} document(s) passé(s) à l'étape suivante.", "success")
        if refused:
            flash("Non modifié(s) : " + " ; ".join(refused), "warning")

    # ----- exports: the files too
    def export_plan(self):
        plan = super().export_plan()
        table = DocumentVersion.__table__
        # One alias per subquery: sharing one would correlate them together.
        counted, latest_of, current_of = (
            table.alias(f"export_{name}") for name in ("counted", "latest", "current")
        )
        count = (
            sa.select(sa.func.count())
            .where(counted.c.document_id == Document.id)
            .scalar_subquery()
        )
        latest = (
            sa.select(sa.func.max(latest_of.c.number))
            .where(latest_of.c.document_id == Document.id)
            .scalar_subquery()
        )
        number = sa.func.coalesce(Document.chosen_version, latest)

        def of_current(column):
            return (
                sa.select(column)
                .where(current_of.c.document_id == Document.id)
                .where(current_of.c.number == number)
                .scalar_subquery()
            )

        plan.add_expression("Nombre de versions", count, NUMBER)
        plan.add_expression("Fichier courant", of_current(current_of.c.filename), TEXT)
        plan.add_expression(
            "Taille du fichier courant (octets)",
            of_current(current_of.c.size),
            NUMBER,
        )
        return plan


class TransmissionView(SecuredModelView):
    column_list = ["document", "recipient", "sent_on", "means", "note"]
    column_labels = {"recipient": "Destinataire", "document.title": "Document"}
    column_searchable_list = ["recipient_text", "note", "document.title"]
    column_filters = ["sent_on", "means"]
    column_default_sort = [("sent_on", True), ("id", True)]
    column_sortable_list = ["sent_on", "means", ("document", "document.title")]
    form_columns = [
        "document",
        "member",
        "organisation",
        "recipient_text",
        "sent_on",
        "means",
        "note",
    ]
    column_formatters = {"recipient": lambda v, c, m, n: m.recipient}
    form_ajax_refs = {
        "document": {"fields": ["title"], **PICKER},
        "member": {"fields": ["last_name", "first_name", "email"], **PICKER},
        "organisation": {"fields": ["name"], **PICKER},
    }

    def extra_validation(self, form) -> bool:
        return check_recipient(form)


class DocumentVersionView(SecuredModelView):
    """Every stored file, read-only: uploads go through the document's files page."""

    can_create = False
    can_edit = False
    can_delete = False
    column_list = [
        "document",
        "number",
        "filename",
        "size",
        "uploaded_at",
        "uploaded_by_label",
        "note",
    ]
    column_details_list = [
        "document",
        "number",
        "filename",
        "media_type",
        "size",
        "sha256",
        "uploaded_at",
        "uploaded_by_label",
        "note",
    ]
    column_searchable_list = ["filename", "note", "document.title"]
    column_filters = ["uploaded_at", "media_type"]
    column_default_sort = ("uploaded_at", True)
    column_labels = {"document.title": "Document"}
    column_formatters = {
        "filename": lambda v, c, m, n: download_link(m),
        "size": lambda v, c, m, n: human_size(m.size),
    }
    column_formatters_detail = column_formatters
