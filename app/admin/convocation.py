"""Convocation and compte-rendu sharing screens of a meeting (issue 17).

Mixed into ``MeetingView`` (URLs /admin/meeting/convocation/… and
/admin/meeting/report/share/…). Messages are queued in the same transaction
as the invitations; delivery happens after the commit, outside the request.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.model.fields import AjaxSelectMultipleField
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, StringField, TextAreaField
from wtforms import validators as v

from app.admin.fields import add_error
from app.admin.minutes_forms import FrenchForm, meeting_or_404
from app.extensions import db
from app.mail import convocation as conv
from app.mail import share
from app.mail.invitations import reply_counts
from app.mail.notices import pop_queued_notices
from app.mail.outbox import MailInputError, check_header_text
from app.mail.settings import NOT_CONFIGURED_MESSAGE, mail_configured
from app.models import Member

log = logging.getLogger(__name__)

DOUBLE_SUBMIT = (
    "Ces messages viennent d'être envoyés par une autre demande (double clic ?) : "
    "rien n'a été envoyé deux fois. Cochez « Renvoyer » pour envoyer à nouveau."
)


class MessageForm(FrenchForm):
    subject = StringField(
        "Sujet",
        validators=[
            v.InputRequired(message="Le sujet est requis."),
            v.Length(max=200, message="200 caractères au plus."),
        ],
    )
    body = TextAreaField(
        "Message",
        validators=[
            v.InputRequired(message="Le message est requis."),
            v.Length(max=20000, message="20 000 caractères au plus."),
        ],
        render_kw={"rows": 16},
    )
    resend = BooleanField("Renvoyer aussi aux personnes qui l'ont déjà reçu")

    def validate_subject(self, field):
        try:
            check_header_text(field.data or "")
        except MailInputError as exc:
            raise v.ValidationError(str(exc)) from exc


def _chosen_ids(prefix: str = "member-") -> set[int]:
    ids = set()
    for key in request.form:
        if key.startswith(prefix) and key[len(prefix) :].isdigit():
            value = int(key[len(prefix) :])
            if value < 2**31:
                ids.add(value)
    return ids


def _members(ids: set[int]) -> list[Member]:
    if not ids:
        return []
    return list(
        db.session.execute(sa.select(Member).where(Member.id.in_(ids))).scalars()
    )


def _names(members) -> str:
    return ", ".join(m.full_name for m in members)


class ConvocationScreen:
    """Mixed into MeetingView: convoke, print letters, share the compte rendu."""

    def _convocation_form(self, meeting, formdata=None):
        loader = self._form_ajax_refs["attendee"]

        class ConvocationForm(MessageForm):
            guests = AjaxSelectMultipleField(
                loader,
                "Convoquer aussi (invité·e·s, hors du groupe)",
                validators=[v.Optional()],
            )

        if formdata is not None:
            return ConvocationForm(formdata)
        return ConvocationForm(
            data={
                "subject": conv.default_subject(meeting),
                "body": conv.default_body(meeting),
            }
        )

    @expose("/convocation/", methods=("GET", "POST"))
    def convocation_view(self):
        meeting = meeting_or_404()
        recipients = conv.recipients(meeting)
        posted = request.method == "POST"
        form = self._convocation_form(meeting, request.form if posted else None)
        if posted:
            chosen = _chosen_ids()
        else:
            chosen = {
                r.member.id for r in recipients if not r.problem and not r.already_sent
            }
        refused = None
        try:
            conv.check_sendable(meeting)
        except conv.ConvocationRefused as exc:
            refused = exc.message
        preview = None
        if posted:
            ok = form.validate()
            guests = list(form.guests.data or [])
            known = {r.member.id for r in recipients}
            members = _members(chosen) + [g for g in guests if g.id not in known]
            if not members:
                add_error(form.guests, "Choisissez au moins une personne à convoquer.")
                ok = False
            if ok and "preview" in request.form:
                preview = {
                    "to": members[0],
                    "subject": form.subject.data.strip(),
                    "body": form.body.data
                    + conv.personal_footer(
                        members[0], "(lien personnel de la personne)", meeting
                    ),
                }
            elif ok and refused is None:
                done = self._send_convocations(meeting, members, form)
                if done:
                    return redirect(url_for(".convocation_view", id=meeting.id))
            elif ok:
                flash(refused, "error")
            else:
                flash("La convocation n'a pas été envoyée : voir ci-dessous.", "error")
        return self.render(
            "admin/meetings/convocation.html",
            meeting=meeting,
            recipients=recipients,
            chosen=chosen,
            form=form,
            preview=preview,
            refused=refused,
            counts=reply_counts(meeting.id),
            mail_configured=mail_configured(),
            not_configured=NOT_CONFIGURED_MESSAGE,
        )

    def _send_convocations(self, meeting, members, form) -> bool:
        try:
            result = conv.send_convocations(
                meeting,
                members,
                form.subject.data.strip(),
                form.body.data,
                resend=bool(form.resend.data),
            )
            db.session.commit()
        except (IntegrityError, StaleDataError):
            # A second submission committed the same invitations first.
            db.session.rollback()
            log.info("Convocation of meeting %s submitted twice", meeting.id)
            flash(DOUBLE_SUBMIT, "warning")
            return True
        except conv.ConvocationRefused as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return False
        _flash_result(result, "Convocation")
        return True

    @expose("/convocation/letters/")
    def convocation_letters_view(self):
        meeting = meeting_or_404()
        body = conv.default_body(meeting)
        letters = [
            (r.member, conv.letter_text(meeting, r.member, body))
            for r in conv.recipients(meeting)
            if r.problem
        ]
        return self.render(
            "admin/meetings/letters.html", meeting=meeting, letters=letters
        )

    @expose("/report/share/", methods=("GET", "POST"))
    def report_share_view(self):
        meeting = meeting_or_404()
        recipients = share.share_recipients(meeting)
        link = url_for(".report_view", id=meeting.id, _external=True)
        posted = request.method == "POST"
        if posted:
            form = MessageForm(request.form)
            chosen = _chosen_ids()
        else:
            form = MessageForm(
                data={
                    "subject": share.default_subject(meeting),
                    "body": share.default_body(meeting, link),
                }
            )
            chosen = {
                r.member.id for r in recipients if not r.problem and not r.already_sent
            }
        if posted:
            ok = form.validate()
            allowed = {r.member.id for r in recipients}
            members = _members(chosen & allowed)
            if not members:
                add_error(form.resend, "Choisissez au moins un destinataire.")
                ok = False
            if ok:
                result = share.share_report(
                    meeting,
                    members,
                    form.subject.data.strip(),
                    form.body.data,
                    resend=bool(form.resend.data),
                )
                db.session.commit()
                _flash_result(result, "Compte rendu")
                return redirect(url_for(".report_share_view", id=meeting.id))
            flash("Le compte rendu n'a pas été envoyé : voir ci-dessous.", "error")
        return self.render(
            "admin/meetings/share.html",
            meeting=meeting,
            recipients=recipients,
            chosen=chosen,
            form=form,
            attachments=share.attachment_names(meeting),
            mail_configured=mail_configured(),
            not_configured=NOT_CONFIGURED_MESSAGE,
        )


def flash_meeting_notices() -> None:
    """Tell staff that a change of date, place or status warned the convoked."""
    queued = pop_queued_notices()
    waiting = (
        "" if mail_configured() else " (en attente : aucun serveur d'envoi configuré)"
    )
    if queued.get("change"):
        flash(
            f"Les {queued['change']} personne(s) convoquée(s) sont prévenues du "
            f"changement{waiting}.",
            "info",
        )
    if queued.get("cancel"):
        flash(
            f"Les {queued['cancel']} personne(s) convoquée(s) sont prévenues de "
            f"l'annulation{waiting}.",
            "info",
        )


def _flash_result(result, what: str) -> None:
    if result.queued:
        text = f"{what} envoyé·e à {len(result.queued)} personne(s)"
        if not mail_configured():
            text += " : les messages attendent qu'un serveur d'envoi soit configuré"
        flash(text + ".", "success")
    if result.skipped:
        flash(
            f"Déjà reçu, non renvoyé (cochez « Renvoyer » si besoin) : "
            f"{_names(result.skipped)}.",
            "info",
        )
    if result.without_address:
        flash(
            f"Sans adresse courriel valide, à prévenir autrement : "
            f"{_names(result.without_address)}.",
            "warning",
        )
    if not (result.queued or result.skipped or result.without_address):
        flash("Aucun message envoyé.", "info")
