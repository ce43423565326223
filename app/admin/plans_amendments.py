"""An amendment read against the text it changes, its budget, and its circuit
(who moved it, when); mixed into AmendmentView (URL /admin/amendment/reading/?id=)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose

from app.admin.plans_page import HELPERS, record_or_404
from app.extensions import db
from app.models.plans import Amendment, AmendmentStatus
from app.plans.circuit import VERBS, CircuitError, move, next_statuses
from app.plans.money import share_of
from app.plans.page import plan_total, proposed_budget
from app.plans.reading import read_amendment

#: The main path of the circuit, shown as steps.
CIRCUIT = (
    AmendmentStatus.proposed,
    AmendmentStatus.adopted_by_group,
    AmendmentStatus.sent,
    AmendmentStatus.accepted,
)
STALE = (
    "Cet amendement a été modifié par quelqu'un d'autre entre-temps : "
    "vérifiez son statut puis recommencez. Votre note est conservée."
)


class AmendmentScreens:
    """Mixed into AmendmentView: the reading page (GET, any account) and the move
    along the circuit (POST only, éditeur: a separate rule, so that a page that
    accepts POST is always a write)."""

    @expose("/reading/")
    def reading_view(self):
        return self._reading(record_or_404(Amendment))

    @expose("/reading/move/", methods=("POST",))
    def move_view(self):
        amendment = record_or_404(Amendment)
        note = request.form.get("note", "")
        to = AmendmentStatus.__members__.get(request.form.get("to", ""))
        if len(note) > 300:
            return self._reading(
                amendment, note, "La note ne doit pas dépasser 300 caractères."
            )
        if str(amendment.version) != request.form.get("version", ""):
            flash(STALE, "error")
            return self._reading(amendment, note)
        if to is None:
            flash("Choisissez l'étape suivante du circuit.", "error")
            return self._reading(amendment, note)
        try:
            move(amendment, to, note)
        except CircuitError as exc:
            flash(str(exc), "error")
            return self._reading(amendment, note)
        db.session.commit()
        flash(f"Amendement : {to.label.lower()}.", "success")
        return redirect(url_for(".reading_view", id=amendment.id))

    def _reading(self, amendment: Amendment, note: str = "", note_error=None):
        pa = amendment.plan_action
        total = plan_total(pa.plan_id)
        budget, _typed = proposed_budget(amendment, total)
        return self.render(
            "admin/plans/amendment.html",
            amendment=amendment,
            reading=read_amendment(amendment.kind, pa.title, amendment.text),
            budget=budget,
            share=share_of(budget, total) if budget is not None else None,
            total=total,
            circuit=CIRCUIT,
            moves=next_statuses(amendment),
            verbs=VERBS,
            can_move=self.can_edit,
            note=note,
            note_error=note_error,
            **HELPERS,
        )
