"""Attendance screen of a meeting: the roster, one click per person, one submission."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.model.fields import AjaxSelectMultipleField
from sqlalchemy.orm.exc import StaleDataError
from wtforms import validators as v

from app.admin.fields import add_error as _err
from app.admin.history import part_entries
from app.admin.minutes_forms import FrenchForm, meeting_or_404
from app.extensions import db
from app.mail.invitations import invitations_by_member
from app.meetings.attendance import roster
from app.models import Attendance, AttendanceStatus, Meeting
from app.timezone import paris_time

STALE_ATTENDANCE = (
    "Enregistrement refusé : la liste de présence a été modifiée pendant votre saisie."
)
KEEP_INPUT = (
    "Vos choix sont conservés ci-dessous : vérifiez-les puis enregistrez à "
    "nouveau pour les appliquer."
)


class AttendanceScreen:
    """Mixed into MeetingView (URL /admin/meeting/attendance/?id=)."""

    def _guest_form(self, formdata=None):
        loader = self._form_ajax_refs["attendee"]

        class GuestForm(FrenchForm):
            guests = AjaxSelectMultipleField(
                loader,
                "Ajouter des invité·e·s ou salarié·e·s hors du groupe",
                validators=[v.Optional()],
            )

        return GuestForm(formdata)

    @expose("/attendance/", methods=("GET", "POST"))
    def attendance_view(self):
        meeting = meeting_or_404()
        rows = roster(meeting)
        form = self._guest_form(request.form if request.method == "POST" else None)
        chosen = {r.member.id: r.status.name if r.status else "" for r in rows}
        row_errors: dict[int, str] = {}
        if request.method == "POST":
            ok = form.validate()
            for row in rows:
                value = request.form.get(f"status-{row.member.id}", "")
                chosen[row.member.id] = value
                if value and value not in AttendanceStatus.__members__:
                    row_errors[row.member.id] = "Choix invalide."
                    ok = False
            known = set(chosen)
            seen: set[int] = set()
            for guest in form.guests.data or []:
                if guest.id in known or guest.id in seen:
                    _err(
                        form.guests,
                        f"{guest.full_name} figure déjà dans la liste de présence.",
                    )
                    ok = False
                seen.add(guest.id)
            stale = ok and self._stale_attendance(meeting, rows)
            if stale:
                # The choices typed stay on screen (``chosen``); the page now
                # carries the current version, so saving again applies them.
                flash(stale, "error")
            elif ok:
                try:
                    self._save_attendance(meeting, rows, chosen, form.guests.data or [])
                except StaleDataError:
                    db.session.rollback()
                    flash(STALE_ATTENDANCE + " " + KEEP_INPUT, "error")
                    return redirect(url_for(".attendance_view", id=meeting.id))
                flash("Présences enregistrées.", "success")
                return redirect(url_for(".attendance_view", id=meeting.id))
            else:
                flash(
                    "Les présences n'ont pas été enregistrées : voir ci-dessous.",
                    "error",
                )
        return self.render(
            "admin/meetings/attendance.html",
            meeting=meeting,
            rows=rows,
            chosen=chosen,
            row_errors=row_errors,
            form=form,
            statuses=list(AttendanceStatus),
            invitations=invitations_by_member(meeting.id),
        )

    def _stale_attendance(self, meeting, rows) -> str | None:
        """French refusal if the sheet changed since the page was opened: who
        changed it, when, and whose status. The page carries the status it
        showed for each person (``was-<id>``); a person recorded meanwhile by
        someone else has none. A form without them (an older page) is not checked.
        """
        if not any(key.startswith("was-") for key in request.form):
            return None
        changed = [
            row.member.full_name
            for row in rows
            if request.form.get(f"was-{row.member.id}", "")
            != (row.status.name if row.status else "")
        ]
        if not changed:
            return None
        # The newest change of the meeting's attendance rows names who and when.
        later = part_entries(Meeting, meeting.id, limit=1)
        text = STALE_ATTENDANCE
        if later:
            text = (
                f"{STALE_ATTENDANCE[:-1]} par {later[0].actor_label} le "
                f"{paris_time(later[0].changed_at)}."
            )
        text += " Statuts changés entre-temps : " + ", ".join(changed) + "."
        return text + " " + KEEP_INPUT

    def _save_attendance(self, meeting, rows, chosen, guests) -> None:
        existing = {a.member_id: a for a in meeting.attendances}
        for row in rows:
            value = chosen.get(row.member.id, "")
            att = existing.get(row.member.id)
            if not value:
                if att is not None:
                    db.session.delete(att)
                continue
            status = AttendanceStatus[value]
            if att is None:
                meeting.attendances.append(
                    Attendance(member=row.member, status=status, guest=row.guest)
                )
            elif att.status != status:
                att.status = status
                # Staff's choice from now on: a later reply never overwrites it.
                att.from_reply = False
        for guest in guests:
            meeting.attendances.append(
                Attendance(member=guest, status=AttendanceStatus.present, guest=True)
            )
        db.session.commit()
