"""Admin side of the history: history page, restore, safe delete and archiving.

``HistoryViewMixin`` is inherited by ``SecuredModelView``; everything it adds is
here (and in ``locking``) so that the base view stays small.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.helpers import get_redirect_target
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.routing import BuildError

from app.admin.listing import FastLinkAction
from app.admin.locking import LockingMixin
from app.admin.messages import deleted_many_message
from app.extensions import db
from app.history import deletion
from app.history.entries import record_entries
from app.history.restore import RestoreError, restore_deleted, restore_version
from app.history.values import display
from app.labels import field_label, model_for_table, type_label
from app.models.history import ChangeKind, ChangeLog
from app.timezone import paris_time

#: Column that marks a record as archived (members: "Parti·e le").
ARCHIVE_COLUMN = "left_on"


def entry_rows(entry: ChangeLog) -> list[tuple[str, str, str]]:
    """(French field label, previous value, new value) of one history entry."""
    cls = model_for_table(entry.record_type)
    if cls is None:
        return []
    rows = []
    for key, pair in (entry.changes or {}).items():
        old, new = pair
        rows.append(
            (field_label(cls, key), display(cls, key, old), display(cls, key, new))
        )
    return rows


def part_entries(model: type, record_id: int, limit: int = 200) -> list[ChangeLog]:
    """Changes of the parts edited with a record (a meeting's attendance and
    decisions, a group's memberships), found through the link in their snapshot."""
    found: list[ChangeLog] = []
    for rel in sa.inspect(model).relationships:
        if rel.direction.name != "ONETOMANY" or not rel.cascade.delete_orphan:
            continue
        child = rel.mapper.class_
        fk_key = rel.local_remote_pairs[0][1].key
        found.extend(
            db.session.execute(
                sa.select(ChangeLog)
                .where(
                    ChangeLog.record_type == child.__tablename__,
                    ChangeLog.snapshot[fk_key].as_integer() == record_id,
                )
                .order_by(ChangeLog.id.desc())
                .limit(limit)
            ).scalars()
        )
    return sorted(found, key=lambda e: e.id, reverse=True)[:limit]


def _part_url(entry: ChangeLog) -> str | None:
    try:
        return url_for(f"{entry.record_type}.history_view", id=entry.record_id)
    except BuildError:  # no admin screen for this record type
        return None


def _as_key(raw: str):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return raw


class HistoryViewMixin(LockingMixin):
    """History, restore, optimistic locking, safe delete and archive for a view."""

    list_template = "admin/history/list.html"
    edit_template = "admin/history/edit.html"
    details_template = "admin/history/details.html"
    history_template = "admin/history/record.html"
    confirm_delete_template = "admin/history/confirm_delete.html"

    # ----- hooks for access control (issue 3 wires them to roles)
    def can_write(self) -> bool:
        """May the current account restore versions? The same right as editing
        (role and the view's own ``can_edit``)."""
        return bool(self.can_edit)

    @property
    def archivable(self) -> bool:
        return ARCHIVE_COLUMN in sa.inspect(self.model).columns

    # ----- history page and restore
    @expose("/history/")
    def history_view(self):
        if not self.has_history:
            abort(404)
        try:
            record_id = int(request.args.get("id", ""))
        except ValueError:
            abort(404)
        record = self.get_one(str(record_id))
        entries = record_entries(self.model.__tablename__, record_id)
        if record is None and not (
            entries and self.record_in_scope(entries[0].snapshot or {})
        ):
            # Not found, or out of this account's reach (get_one is scoped): a
            # deleted record's history shows only if its last values were in reach.
            abort(404)
        return self.render(
            self.history_template,
            record=record,
            record_id=record_id,
            entries=entries,
            parts=part_entries(self.model, record_id),
            type_label=type_label,
            part_url=_part_url,
            entry_rows=entry_rows,
            paris_time=paris_time,
            ChangeKind=ChangeKind,
            title=str(record) if record is not None else entries[0].record_label,
            return_url=get_redirect_target() or self.get_url(".index_view"),
        )

    def record_in_scope(self, values: dict) -> bool:
        """May the current account reach a record holding these column values?

        Views whose ``get_one`` is scoped (each account's own calendar tokens)
        say the same here for records that no longer exist (deleted ones).
        """
        return True

    def _may_restore(self, entry: ChangeLog) -> bool:
        """Restoring is editing that very record: the role may edit on this view,
        the record (or, deleted, its last values) is within the account's reach,
        and so are the values brought back."""
        if not self.can_write():
            return False
        exists = db.session.get(self.model, entry.record_id) is not None
        if exists and self.get_one(str(entry.record_id)) is None:
            return False
        return self.record_in_scope(entry.snapshot or {})

    @expose("/history/restore/", methods=("POST",))
    def restore_view(self):
        if not self.can_write():
            abort(403)
        entry_id = request.form.get("entry", type=int) or 0
        entry = db.session.get(ChangeLog, entry_id) if 0 < entry_id < 2**31 else None
        if entry is None or entry.record_type != self.model.__tablename__:
            abort(404)
        if not self._may_restore(entry):
            # "Not found" rather than "refused": another account's records stay
            # unseen, like in the lists.
            abort(404)
        seen = request.form.get("seen_version", type=int)
        try:
            if entry.kind == ChangeKind.delete:
                _, extra = restore_deleted(entry)
                message = "Fiche restaurée."
                if extra:
                    message += f" {extra} fiche(s) liée(s) supprimée(s) en même temps ont aussi été restaurée(s)."
            else:
                restore_version(entry, seen)
                message = (
                    f"Version du {paris_time(entry.changed_at)} restaurée ; "
                    "cette restauration figure dans l'historique."
                )
        except RestoreError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(message, "success")
        return redirect(self.get_url(".history_view", id=entry.record_id))

    # ----- deletion: confirmation listing what goes, refusal when work would be lost
    def get_list_row_actions(self):
        actions = []
        for act in super().get_list_row_actions():
            if type(act).__name__ in ("DeleteRowAction", "FastDeleteAction"):
                # A link to the confirmation page, which lists what would go.
                act = FastLinkAction(".delete_confirm_view", "Supprimer…")
            actions.append(act)
        if self.has_history:
            actions.append(FastLinkAction(".history_view", "Historique"))
        return actions

    @expose("/delete/confirm/")
    def delete_confirm_view(self):
        """What a deletion would remove, for one record or a selection (bulk delete
        comes here too, rather than to a browser dialog)."""
        return_url = get_redirect_target() or self.get_url(".index_view")
        raw_ids = request.args.getlist("id")
        models = [
            self.get_one(raw) for raw in raw_ids if raw.isdigit() and len(raw) < 19
        ]
        models = [model for model in models if model is not None]
        if not models or not self.can_delete:
            flash("Cette fiche n'existe pas ou plus.", "error")
            return redirect(return_url)
        items = []
        for model in models:
            deps = deletion.dependents(model)
            items.append(
                {
                    "model": model,
                    "refusal": deletion.refusal_message(model),
                    "removed": [d for d in deps if not d.blocking],
                }
            )
        return self.render(
            self.confirm_delete_template,
            model=models[0],
            items=items,
            refusal=items[0]["refusal"] if len(items) == 1 else None,
            removed=items[0]["removed"],
            return_url=return_url,
        )

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        if self.has_history and "seen_version" not in request.form:
            # Every single delete goes through the confirmation page.
            return redirect(
                self.get_url(
                    ".delete_confirm_view",
                    id=request.form.get("id", ""),
                    url=get_redirect_target(),
                )
            )
        return super().delete_view()

    def delete_model(self, model) -> bool:
        refusal = deletion.refusal_message(model)
        if refusal:
            flash(refusal, "error")
            return False
        seen = None
        if request:
            # A bulk confirmation sends one version per record.
            seen = request.form.get(f"seen_version_{model.id}", type=int)
            if seen is None:
                seen = request.form.get("seen_version", type=int)
        if seen is not None and self.has_history and model.version != seen:
            flash(self.conflict_message(model, seen, deleting=True), "error")
            return False
        try:
            self.on_model_delete(model)
            db.session.delete(model)
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            flash(
                "Suppression refusée : la fiche vient d'être modifiée par une autre "
                "personne. Rechargez-la pour voir sa modification.",
                "error",
            )
            return False
        except Exception as exc:
            db.session.rollback()
            self.handle_view_exception(exc)
            return False
        self.after_model_delete(model)
        return True

    @action("delete", lazy_gettext("Delete"))
    def action_delete(self, ids):
        """Bulk delete: first the confirmation page listing what would go, then,
        once confirmed there, the same rules as a single delete (delete_model)."""
        keys = [_as_key(i) for i in ids]
        if request.form.get("confirmed") != "1":
            return redirect(
                self.get_url(
                    ".delete_confirm_view",
                    id=[str(k) for k in keys],
                    url=get_redirect_target() or self.get_url(".index_view"),
                )
            )
        # ids arrive as text, which PostgreSQL refuses to compare with integer keys.
        rows = db.session.execute(
            sa.select(self.model).where(self.model.id.in_(keys))
        ).scalars()
        names = []
        for row in list(rows):
            name = str(row)
            if self.delete_model(row):
                names.append(name)
        g.pop("cdpl_named_messages", None)  # one sentence for the whole selection
        if names:
            flash(deleted_many_message(self.model, names), "success")
        return None

    # ----- archive instead of delete
    def is_action_allowed(self, name: str) -> bool:
        if name == "archive" and not (self.archivable and self.can_write()):
            return False
        return super().is_action_allowed(name)

    @action(
        "archive",
        "Archiver",
        "Archiver les fiches sélectionnées ? Elles restent dans l'historique et les statistiques.",
    )
    def action_archive(self, ids) -> None:
        column = getattr(self.model, ARCHIVE_COLUMN)
        rows = db.session.execute(
            sa.select(self.model).where(
                self.model.id.in_([_as_key(i) for i in ids]), column.is_(None)
            )
        ).scalars()
        count = 0
        for row in rows:
            setattr(row, ARCHIVE_COLUMN, date.today())
            count += 1
        db.session.commit()
        flash(f"{count} fiche(s) archivée(s).", "success")

    def showing_archived(self) -> bool:
        return request.args.get("archives") == "1"

    def _hide_archived(self, query):
        if self.archivable and not self.showing_archived():
            current = getattr(self.model, ARCHIVE_COLUMN).is_(None)
            if db.session.get_bind().dialect.name == "sqlite":
                # Same condition, marked as true of most rows: SQLite's
                # statistics count NULL as one value among the dates (8 rows
                # of 20,000 members), so a search walked all 17,000 current
                # members in the (left_on, name) index instead of reading its
                # 280 matches by key (6.6 ms against 0.1 ms); the unfiltered
                # page keeps that index for its order.
                current = sa.func.likely(current)
            query = query.filter(current)
        return query

    def get_query(self):
        return self._hide_archived(super().get_query())

    def get_count_query(self):
        return self._hide_archived(super().get_count_query())

    def _refresh_forms_cache(self) -> None:
        super()._refresh_forms_cache()
        # Pickers never offer archived records (the value already chosen still shows).
        for loader in (self._form_ajax_refs or {}).values():
            model = getattr(loader, "model", None)
            if model is not None and ARCHIVE_COLUMN in sa.inspect(model).columns:
                extra = f"{ARCHIVE_COLUMN} IS NULL"
                if extra not in (loader.filters or []):
                    loader.filters = [*(loader.filters or []), extra]

    def archived_toggle_url(self) -> str:
        args = request.args.to_dict()
        if self.showing_archived():
            args.pop("archives", None)
        else:
            args["archives"] = "1"
        return url_for(request.endpoint, **args)
