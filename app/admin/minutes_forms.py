"""Forms of the attendance and minutes screens (plain WTForms, French messages).

The CSRF token is checked by the global CSRFProtect; templates add the hidden field.
"""

from __future__ import annotations

from flask import abort, request
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms import validators as v
from wtforms.fields import DateField, TimeField

from app.admin.fields import web_link
from app.extensions import db
from app.models import ActionStatus, Meeting, MeetingStatus

LABEL_CHECK = [v.Length(max=200, message="200 caractères au plus.")]
URL_CHECK = [
    v.Optional(),
    web_link,
    v.Length(max=500, message="500 caractères au plus."),
]


class FrenchForm(Form):
    class Meta:
        locales = ("fr_FR", "fr")


class DecisionRow(FrenchForm):
    id = HiddenField()
    text = TextAreaField("Décision", render_kw={"rows": 2})
    due_on = DateField("Échéance", validators=[v.Optional()])
    asap = BooleanField("Dès que possible")
    delete = BooleanField("Supprimer")

    def is_blank(self) -> bool:
        return not (
            (self.text.data or "").strip()
            or self.due_on.data
            or self.asap.data
            or self.id.data
        )


class ActionRow(FrenchForm):
    id = HiddenField()
    title = StringField(
        "Action", validators=[v.Length(max=300, message="300 caractères au plus.")]
    )
    owner = SelectField("Responsable", choices=[("", "—")], validate_choice=False)
    due_on = DateField("Échéance", validators=[v.Optional()])
    asap = BooleanField("Dès que possible")
    status = SelectField("Statut", choices=ActionStatus.choices())
    delete = BooleanField("Supprimer")

    def is_blank(self) -> bool:
        return not (
            (self.title.data or "").strip()
            or self.owner.data
            or self.due_on.data
            or self.asap.data
            or self.id.data
        )


class MinutesForm(FrenchForm):
    #: Version of the meeting the form was built from (concurrent edits).
    version = HiddenField()
    day = DateField(
        "Date",
        validators=[v.InputRequired(message="La date de la réunion est requise.")],
    )
    #: Empty when the source gives the day only: "heure non précisée".
    start_time = TimeField(
        "Début",
        validators=[v.Optional()],
        description="Vide : heure non précisée.",
    )
    end_time = TimeField("Fin", validators=[v.Optional()])
    place = StringField(
        "Lieu", validators=[v.Length(max=255, message="255 caractères au plus.")]
    )
    status = SelectField("Statut", choices=MeetingStatus.choices())
    author = SelectField("Rédaction", choices=[("", "—")], validate_choice=False)
    objective = TextAreaField("Objectif de la réunion", render_kw={"rows": 2})
    context = TextAreaField("Éléments de contexte", render_kw={"rows": 3})
    exchanges = TextAreaField(
        "Échanges et informations",
        description="Texte au format Markdown : **gras**, *italique*, listes « - ».",
        render_kw={"rows": 14},
    )
    #: The link's name as the minutes give it ("Google Drive partagé").
    documents_label = StringField(
        "Nom du lien vers les documents", validators=LABEL_CHECK
    )
    documents_url = StringField("Adresse du lien", validators=URL_CHECK)
    decisions = FieldList(FormField(DecisionRow), min_entries=0)
    actions = FieldList(FormField(ActionRow), min_entries=0)
    next_day = DateField("Date de la prochaine réunion", validators=[v.Optional()])
    next_time = TimeField("Heure", validators=[v.Optional()])
    next_place = StringField(
        "Lieu", validators=[v.Length(max=255, message="255 caractères au plus.")]
    )
    next_documents_label = StringField(
        "Nom du lien vers les documents", validators=LABEL_CHECK
    )
    next_documents_url = StringField("Adresse du lien", validators=URL_CHECK)


def meeting_or_404() -> Meeting:
    """The meeting named by ``?id=`` of the current request."""
    ident = request.args.get("id", type=int) or 0
    # Out-of-range ids would reach PostgreSQL as an integer overflow error.
    meeting = db.session.get(Meeting, ident) if 0 < ident < 2**31 else None
    if meeting is None:
        abort(404)
    return meeting
