"""The public page where a convoked member answers through their personal link.

No login: the secret in the URL is the only key, bound to one member and one
meeting. The page shows that meeting and that member's own answer, nothing
about anyone else; an unknown, replaced or expired link gets a French page
that does not tell whether it ever existed.
"""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField, validators

from app.extensions import db
from app.history import acting_as
from app.mail.convocation import place_text, when_in_words
from app.mail.invitations import (
    LinkProblem,
    find_invitation,
    paris_text,
    record_reply,
    reply_closed_reason,
)
from app.meetings.ical import meeting_summary
from app.models import InvitationReply

bp = Blueprint("replies", __name__, url_prefix="/reponse")

#: History label of changes made through a personal link.
REPLY_ACTOR = "réponse par lien personnel"


class ReplyForm(FlaskForm):
    reply = RadioField(
        "Votre réponse",
        choices=[
            (InvitationReply.present.name, "Je serai présent·e"),
            (InvitationReply.excused.name, "Je serai excusé·e"),
        ],
        validators=[validators.InputRequired(message="Choisissez une réponse.")],
    )
    comment = TextAreaField(
        "Commentaire (facultatif)",
        validators=[
            validators.Optional(),
            validators.Length(max=2000, message="2 000 caractères au plus."),
        ],
    )
    represented_by = StringField(
        "Représenté·e par (facultatif, si vous êtes excusé·e)",
        validators=[
            validators.Optional(),
            validators.Length(max=200, message="200 caractères au plus."),
        ],
    )


def _no_referrer(response):
    # The secret is in the URL: never leak it to another site through Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<token>", methods=("GET", "POST"))
def reply(token: str):
    try:
        invitation = find_invitation(token)
    except LinkProblem as problem:
        body = render_template("replies/invalid.html", message=problem.message)
        return _no_referrer(make_response(body, 404))
    meeting = invitation.meeting
    closed = reply_closed_reason(invitation)
    form = ReplyForm(
        request.form if request.method == "POST" else None,
        data=None
        if request.method == "POST"
        else {
            "reply": invitation.reply.name
            if invitation.reply != InvitationReply.none
            else None,
            "comment": invitation.comment,
            "represented_by": invitation.represented_by,
        },
    )
    saved = False
    status = 200
    if request.method == "POST":
        if closed:
            status = 409
        elif form.validate():
            with acting_as(REPLY_ACTOR):
                record_reply(
                    invitation,
                    InvitationReply[form.reply.data],
                    form.comment.data,
                    form.represented_by.data,
                )
                db.session.commit()
            saved = True
        else:
            status = 400
    body = render_template(
        "replies/reply.html",
        invitation=invitation,
        member=invitation.member,
        meeting=meeting,
        summary=meeting_summary(meeting),
        when=when_in_words(meeting),
        place=place_text(meeting),
        replied_at=paris_text(invitation.replied_at),
        closed=closed,
        form=form,
        saved=saved,
    )
    return _no_referrer(make_response(body, status))
