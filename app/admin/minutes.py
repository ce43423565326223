"""Minutes screen of a meeting: the text, decisions, actions and the next meeting.

Like the attendance and report screens it is mixed into ``MeetingView`` (URLs under
/admin/meeting/), so it shares that view's access rules once accounts exist.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_admin import expose
from sqlalchemy.orm import selectinload

from app.admin.convocation import flash_meeting_notices
from app.admin.fields import add_error, check_deadline, check_decision
from app.admin.minutes_forms import (
    ActionRow,
    DecisionRow,
    MinutesForm,
    meeting_or_404,
)
from app.extensions import db
from app.meetings.attendance import roster, sort_members
from app.meetings.report import meeting_actions
from app.models import (
    OPEN_ACTION_STATUSES,
    Action,
    ActionStatus,
    Decision,
    Meeting,
    MeetingStatus,
    Member,
)
from app.models.meetings import PARIS

STALE_MESSAGE = (
    "Cette réunion a été modifiée par quelqu'un d'autre pendant votre saisie. "
    "Vos saisies sont conservées ci-dessous : vérifiez-les puis enregistrez à "
    "nouveau pour les appliquer."
)


def open_previous_actions(meeting: Meeting) -> list[Action]:
    """Open actions decided in earlier meetings of the same group ("Actions en cours")."""
    if meeting.group_id is None:
        return []
    origin = sa.orm.aliased(Meeting)
    stmt = (
        sa.select(Action)
        .join(origin, origin.id == Action.meeting_id)
        .where(
            origin.group_id == meeting.group_id,
            origin.starts_at < meeting.starts_at,
            Action.status.in_(OPEN_ACTION_STATUSES),
        )
        .options(selectinload(Action.owner), selectinload(Action.meeting))
        .order_by(origin.starts_at, Action.id)
    )
    return list(db.session.execute(stmt).scalars())


def _paris(day: date, at) -> datetime:
    return datetime.combine(day, at).replace(tzinfo=PARIS).astimezone(UTC)


def _member_choices(meeting: Meeting, *extra: Member | None) -> list[tuple[str, str]]:
    """The meeting's roster (group members and recorded attendees) plus the people
    already chosen. Never the whole member table: it may hold tens of thousands of
    rows; someone from outside is first added on the attendance screen."""
    members = {r.member.id: r.member for r in roster(meeting)}
    for member in [m for m in extra if m is not None]:
        members.setdefault(member.id, member)
    ordered = sort_members(members.values())
    return [("", "—")] + [(str(m.id), f"{m.last_name} {m.first_name}") for m in ordered]


class MinutesScreen:
    """Mixed into MeetingView (URL /admin/meeting/minutes/?id=)."""

    # ----- minutes
    def _minutes_form(self, meeting: Meeting) -> MinutesForm:
        if request.method == "POST":
            form = MinutesForm(request.form)
        else:
            start, end = meeting.local_start, meeting.local_end
            nxt = meeting.next_meeting
            data = {
                "version": str(meeting.version or 1),
                "day": start.date(),
                "start_time": None if meeting.time_unknown else start.time(),
                "end_time": end.time() if end else None,
                "place": meeting.place,
                "status": meeting.status.name,
                "author": str(meeting.author_id or ""),
                "objective": meeting.objective,
                "context": meeting.context,
                "exchanges": meeting.exchanges,
                "documents_label": meeting.documents_label,
                "documents_url": meeting.documents_url,
                "decisions": [
                    {
                        "id": str(d.id),
                        "text": d.text,
                        "due_on": d.due_on,
                        "asap": d.asap,
                    }
                    for d in meeting.decisions
                ]
                + [{}],
                "actions": [
                    {
                        "id": str(a.id),
                        "title": a.title,
                        "owner": str(a.owner_id or ""),
                        "due_on": a.due_on,
                        "asap": a.asap,
                        "status": a.status.name,
                    }
                    for a in meeting_actions(meeting)
                ]
                + [{}],
                "next_day": nxt.local_start.date() if nxt else None,
                "next_time": nxt.local_start.time()
                if nxt and not nxt.time_unknown
                else None,
                "next_place": nxt.place if nxt else meeting.place,
                # The next meeting's link, else this one's (name and address
                # together).
                **(
                    {
                        "next_documents_label": nxt.documents_label,
                        "next_documents_url": nxt.documents_url,
                    }
                    if nxt and (nxt.documents_url or nxt.documents_label)
                    else {
                        "next_documents_label": meeting.documents_label,
                        "next_documents_url": meeting.documents_url,
                    }
                ),
            }
            form = MinutesForm(data=data)
        owners = [a.owner for a in meeting_actions(meeting)]
        choices = _member_choices(meeting, meeting.author, *owners)
        form.author.choices = choices
        for entry in form.actions.entries:
            entry.form.owner.choices = choices
        return form

    @expose("/minutes/", methods=("GET", "POST"))
    def minutes_view(self):
        meeting = meeting_or_404()
        review = open_previous_actions(meeting)
        form = self._minutes_form(meeting)
        review_values = {
            a.id: request.form.get(f"review-{a.id}", a.status.name)
            if request.method == "POST"
            else a.status.name
            for a in review
        }
        if request.method == "POST":
            if "add_decision" in request.form or "add_action" in request.form:
                # Add a blank row without saving: nothing typed is lost.
                target = (
                    form.decisions if "add_decision" in request.form else form.actions
                )
                target.append_entry()
                if target is form.actions:
                    target.entries[-1].form.owner.choices = form.author.choices
            elif self._validate_minutes(meeting, form, review_values):
                if str(meeting.version or 1) != (form.version.data or ""):
                    flash(STALE_MESSAGE, "error")
                    form.version.data = str(meeting.version or 1)
                else:
                    self._save_minutes(meeting, form, review, review_values)
                    flash("Compte rendu enregistré.", "success")
                    flash_meeting_notices()
                    if "_report" in request.form:
                        return redirect(url_for(".report_view", id=meeting.id))
                    return redirect(url_for(".minutes_view", id=meeting.id))
            else:
                flash(
                    "Le compte rendu n'a pas été enregistré : voir ci-dessous.", "error"
                )
        return self.render(
            "admin/meetings/minutes.html",
            meeting=meeting,
            form=form,
            review=review,
            review_values=review_values,
            action_statuses=list(ActionStatus),
        )

    def _validate_minutes(self, meeting, form: MinutesForm, review_values) -> bool:
        ok = form.validate()
        if form.start_time.data and form.end_time.data:
            if form.end_time.data < form.start_time.data:
                add_error(form.end_time, "La fin précède le début.")
                ok = False
        elif form.end_time.data and not form.start_time.data:
            add_error(form.end_time, "Indiquez aussi l'heure de début.")
            ok = False
        for entry in form.decisions.entries:
            row: DecisionRow = entry.form
            if row.is_blank() or row.delete.data:
                continue
            ok = check_decision(row) and ok
        valid_members = {value for value, _ in form.author.choices}
        if form.author.data not in valid_members:
            add_error(form.author, "Choix invalide.")
            ok = False
        for entry in form.actions.entries:
            row: ActionRow = entry.form
            if row.is_blank() or row.delete.data:
                continue
            if not (row.title.data or "").strip():
                add_error(row.title, "L'intitulé de l'action est requis.")
                ok = False
            ok = check_deadline(row) and ok
            if row.owner.data not in valid_members:
                add_error(row.owner, "Choix invalide.")
                ok = False
        if form.next_day.data and form.day.data:
            at = form.next_time.data or form.start_time.data
            if form.start_time.data and at:
                later = _paris(form.next_day.data, at) > _paris(
                    form.day.data, form.start_time.data
                )
            else:  # a day without its time: a later day
                later = form.next_day.data > form.day.data
            if not later:
                add_error(
                    form.next_day,
                    "La prochaine réunion doit être postérieure à celle-ci.",
                )
                ok = False
        elif (form.next_time.data or "") and not form.next_day.data:
            add_error(form.next_day, "Indiquez la date de la prochaine réunion.")
            ok = False
        for value in review_values.values():
            if value not in ActionStatus.__members__:
                ok = False
        return ok

    def _save_minutes(self, meeting: Meeting, form: MinutesForm, review, review_values):
        def member(value: str | None) -> Member | None:
            return db.session.get(Member, int(value)) if value else None

        # No time typed: the day only, stored at midnight and shown as
        # "heure non précisée".
        meeting.time_unknown = form.start_time.data is None
        meeting.starts_at = _paris(form.day.data, form.start_time.data or time(0))
        meeting.ends_at = (
            _paris(form.day.data, form.end_time.data)
            if form.end_time.data and form.start_time.data
            else None
        )
        meeting.place = (form.place.data or "").strip() or None
        meeting.status = MeetingStatus[form.status.data]
        meeting.author = member(form.author.data)
        meeting.objective = (form.objective.data or "").strip() or None
        meeting.context = (form.context.data or "").strip() or None
        meeting.exchanges = (form.exchanges.data or "").strip() or None
        meeting.documents_url = (form.documents_url.data or "").strip() or None
        meeting.documents_label = (form.documents_label.data or "").strip() or None
        meeting.version = (meeting.version or 1) + 1

        decisions = {str(d.id): d for d in meeting.decisions}
        position = 0
        for entry in form.decisions.entries:
            row = entry.form
            existing = decisions.get(row.id.data or "")
            if row.delete.data or row.is_blank():
                if existing is not None and row.delete.data:
                    meeting.decisions.remove(existing)
                continue
            position += 1
            decision = existing or Decision()
            decision.text = row.text.data.strip()
            decision.asap = bool(row.asap.data)
            decision.due_on = None if row.asap.data else row.due_on.data
            decision.position = position
            if existing is None:
                meeting.decisions.append(decision)

        actions = {str(a.id): a for a in meeting_actions(meeting)}
        for entry in form.actions.entries:
            row = entry.form
            existing = actions.get(row.id.data or "")
            if row.delete.data or row.is_blank():
                if existing is not None and row.delete.data:
                    db.session.delete(existing)
                continue
            action = existing or Action(meeting=meeting, group_id=meeting.group_id)
            action.title = row.title.data.strip()
            action.owner = member(row.owner.data)
            action.asap = bool(row.asap.data)
            action.due_on = None if row.asap.data else row.due_on.data
            _set_action_status(action, ActionStatus[row.status.data])
            if existing is None:
                db.session.add(action)

        for action in review:
            _set_action_status(action, ActionStatus[review_values[action.id]])

        if form.next_day.data:
            at = form.next_time.data or form.start_time.data
            nxt = meeting.next_meeting
            if nxt is None:
                nxt = Meeting(
                    group_id=meeting.group_id,
                    kind=meeting.kind,
                    status=MeetingStatus.planned,
                )
                db.session.add(nxt)
                meeting.next_meeting = nxt
            else:
                nxt.version = (nxt.version or 1) + 1
            nxt.time_unknown = at is None
            nxt.starts_at = _paris(form.next_day.data, at or time(0))
            nxt.place = (form.next_place.data or "").strip() or None
            nxt.documents_url = (form.next_documents_url.data or "").strip() or None
            nxt.documents_label = (form.next_documents_label.data or "").strip() or None
        db.session.commit()


def _set_action_status(action: Action, status: ActionStatus) -> None:
    action.status = status
    if status == ActionStatus.done and action.done_on is None:
        action.done_on = date.today()
    elif status != ActionStatus.done:
        action.done_on = None
