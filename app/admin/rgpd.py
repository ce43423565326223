"""Screens of personal data: "Administration › Données personnelles", consents."""

from __future__ import annotations

import logging
import tempfile

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose

from app.admin.base import SecuredModelView
from app.auth.access import AccessMixin
from app.extensions import db
from app.models import Member
from app.models.accounts import Role
from app.rgpd.anonymise import AnonymisationRefused, anonymise_member, preview
from app.rgpd.export import export_filename, write_member_export
from app.rgpd.register import category_counts
from app.rgpd.retention import due

log = logging.getLogger(__name__)


class ConsentView(SecuredModelView):
    """Consents: what was agreed, when, how; withdrawal keeps the record."""

    column_list = ["member", "purpose", "given_on", "method", "withdrawn_on"]
    column_filters = ["purpose", "method", "given_on", "withdrawn_on"]
    column_default_sort = [("given_on", True)]
    form_columns = ["member", "purpose", "given_on", "method", "withdrawn_on", "proof"]
    date_order_checks = (
        ("given_on", "withdrawn_on", "Le retrait précède la date du consentement."),
    )


class PersonalDataView(AccessMixin, BaseView):
    """The register summary, counts per category, retention due; per member:
    export (right of access) and anonymisation (right to erasure)."""

    read_role = Role.admin
    write_role = Role.admin
    export_role = Role.admin

    @expose("/")
    def index(self):
        return self.render(
            "admin/rgpd/index.html",
            counts=category_counts(current_app.config),
            due=due(),
        )

    def _member(self) -> Member:
        """The member named by ``?id=`` (404 when missing or unknown)."""
        member_id = request.args.get("id", type=int)
        member = db.session.get(Member, member_id) if member_id else None
        if member is None:
            abort(404)
        return member

    @expose("/membre/")
    def member(self):
        member = self._member()
        try:
            lines, refusal = preview(member).lines, None
        except AnonymisationRefused as exc:
            lines, refusal = [], str(exc)
        return self.render(
            "admin/rgpd/member.html", member=member, lines=lines, refusal=refusal
        )

    @expose("/membre/export/", methods=["POST"])
    def member_export(self):
        member = self._member()
        member_id = member.id
        fh = tempfile.TemporaryFile()
        try:
            write_member_export(fh, member.id)
        except Exception:
            fh.close()
            db.session.rollback()
            log.exception("RGPD export failed")
            flash(
                "L'export n'a pas pu être produit à cause d'une erreur interne ; "
                "elle a été consignée.",
                "error",
            )
            return redirect(url_for(".member", id=member_id))
        fh.seek(0)
        return send_file(
            fh,
            mimetype="application/zip",
            as_attachment=True,
            download_name=export_filename(member_id),
            max_age=0,
        )

    @expose("/membre/anonymiser/", methods=["POST"])
    def member_anonymise(self):
        member_id = self._member().id
        try:
            anonymise_member(member_id)
        except AnonymisationRefused as exc:
            flash(str(exc), "error")
            return redirect(url_for(".member", id=member_id))
        flash(f"Membre n° {member_id} anonymisé.", "success")
        return redirect(url_for("member.details_view", id=member_id))
