"""Optimistic locking in admin forms, inline edit and delete.

Flask-Admin reloads the row on POST, so the mapper's version check alone would
compare the row with itself: the edit form therefore carries the version the
person saw (hidden ``seen_version``), the inline-edit link carries it in its
primary key ("12~3"), and the delete confirmation form carries it too. The
mapper's ``version_id_col`` still guards the last instant between the check and
the UPDATE (StaleDataError).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g
from flask_admin.model.widgets import XEditableWidget
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from app.admin.fields import add_error
from app.extensions import db
from app.history.actor import current_actor
from app.history.entries import changes_since
from app.history.recorder import is_tracked
from app.labels import field_label
from app.timezone import paris_time

#: Separator between the id and the version in the inline-edit primary key.
PK_VERSION_SEP = "~"


class VersionField(HiddenField):
    """The version of the record the person saw; never copied onto the record."""

    def populate_obj(self, obj, name) -> None:
        return None


class VersionedXEditableWidget(XEditableWidget):
    """Inline-edit link whose primary key also carries the version shown."""

    def __call__(self, field, **kwargs):
        version = getattr(field, "_cdpl_version", None)
        if version is not None and kwargs.get("pk"):
            kwargs["pk"] = f"{kwargs['pk']}{PK_VERSION_SEP}{version}"
        return super().__call__(field, **kwargs)


def normalise_newlines(form) -> None:
    """Browsers send text areas with CRLF line ends: store LF, so that saving an
    unchanged text is no change (and no history entry)."""
    for field in form:
        entries = getattr(field, "entries", None)
        if entries is not None:
            for entry in entries:
                normalise_newlines(getattr(entry, "form", entry))
        elif hasattr(field, "form") and hasattr(field.form, "__iter__"):
            normalise_newlines(field.form)
        elif isinstance(field.data, str) and "\r" in field.data:
            field.data = field.data.replace("\r\n", "\n").replace("\r", "\n")


class LockingMixin:
    """Refuses saves and deletes based on a stale version, in French."""

    # ----- forms carry the version the person saw
    @property
    def has_history(self) -> bool:
        return is_tracked(self.model) and "version" in sa.inspect(self.model).columns

    def get_edit_form(self):
        form_class = super().get_edit_form()
        if not self.has_history:
            return form_class
        return type(
            form_class.__name__, (form_class,), {"seen_version": VersionField()}
        )

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        field = getattr(form, "seen_version", None)
        if field is not None and obj is not None and not field.raw_data:
            field.data = obj.version
        return form

    def scaffold_list_form(self, widget=None, validators=None):
        return super().scaffold_list_form(
            widget or VersionedXEditableWidget(), validators
        )

    def list_form(self, obj=None):
        form = super().list_form(obj)
        if not self.has_history:
            return form
        if obj is not None:
            for field in form:
                field._cdpl_version = obj.version
        pk_field = getattr(form, "list_form_pk", None)
        if pk_field is not None and isinstance(pk_field.data, str):
            pk, sep, seen = pk_field.data.partition(PK_VERSION_SEP)
            if sep:
                pk_field.data = pk
                g.cdpl_inline_seen = seen
        return form

    def _seen_version(self, form) -> int | None:
        field = getattr(form, "seen_version", None)
        raw = field.data if field is not None else None
        if raw in (None, "") and "cdpl_inline_seen" in g:
            raw = g.cdpl_inline_seen
        try:
            return int(raw) if raw not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def conflict_message(self, model, seen: int, deleting: bool = False) -> str:
        """French refusal naming who changed the record since ``seen``, and when."""
        later = changes_since(model.__tablename__, model.id, seen)
        last = later[0] if later else None
        who = last.actor_label if last else "une autre personne"
        when = f"le {paris_time(last.changed_at)}" if last else "entre-temps"
        changed = sorted(
            {field_label(type(model), k) for e in later for k in (e.changes or {})}
        )
        what = "Suppression refusée" if deleting else "Enregistrement refusé"
        text = (
            f"{what} : cette fiche a été modifiée par {who} {when} "
            "pendant que vous la consultiez"
        )
        if changed:
            text += " (" + ", ".join(f"« {c} »" for c in changed) + ")"
        if deleting:
            return text + ". Vérifiez sa modification avant de supprimer la fiche."
        return (
            text + ". Sa modification est conservée et vos saisies sont toujours "
            "à l'écran : ouvrez la fiche à jour dans un autre onglet pour les y "
            "reporter."
        )

    def _inline_conflict(self, form, model, seen: int) -> bool:
        """Inline edit changes one field: it conflicts only if someone else moved
        that field (the list page still shows the version before one's own edit)."""
        names = {f.name for f in form if f.name not in ("list_form_pk", "csrf_token")}
        me = current_actor()
        for entry in changes_since(model.__tablename__, model.id, seen):
            if me.id is not None and (entry.actor_id, entry.actor_label) == (
                me.id,
                me.label,
            ):
                continue
            keys = set(entry.changes or {})
            keys |= {k[:-3] for k in keys if k.endswith("_id")}
            if keys & names:
                return True
        return False

    def update_model(self, form, model) -> bool:
        seen = self._seen_version(form)
        if seen is not None and self.has_history and model.version != seen:
            inline = getattr(form, "seen_version", None) is None
            if not inline or self._inline_conflict(form, model, seen):
                flash(self.conflict_message(model, seen), "error")
                return False
        normalise_newlines(form)
        try:
            form.populate_obj(model)
            self._on_model_change(form, model, False)
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            db.session.refresh(model)
            flash(self.conflict_message(model, seen or model.version - 1), "error")
            return False
        except Exception as exc:
            return self._save_failed(form, exc)
        self.after_model_change(form, model, False)
        return True

    def create_model(self, form):
        try:
            return self._create_model(form)
        except Exception as exc:
            return self._save_failed(form, exc)

    def _save_failed(self, form, exc: Exception) -> bool:
        """Roll back, put constraint errors next to their fields, tell the person
        in French (never the database's text); the form keeps what was typed."""
        db.session.rollback()
        if isinstance(exc, IntegrityError):
            self.integrity_to_fields(form, exc)
        self.handle_view_exception(exc)
        return False

    def _create_model(self, form):
        normalise_newlines(form)
        model = self.build_new_instance()
        form.populate_obj(model)
        db.session.add(model)
        self._on_model_change(form, model, True)
        db.session.commit()
        self.after_model_change(form, model, True)
        return model

    def integrity_to_fields(self, form, exc: IntegrityError) -> None:
        """Put a French message next to the field a database constraint names:
        a duplicate value, or a linked record deleted meanwhile."""
        table = self.model.__table__
        text = str(getattr(exc, "orig", exc))
        diag = getattr(getattr(exc, "orig", None), "diag", None)
        name = getattr(diag, "constraint_name", None)
        for constraint in table.constraints:
            if not isinstance(constraint, sa.UniqueConstraint):
                continue
            cols = [c.key for c in constraint.columns]
            qualified = ", ".join(f"{table.name}.{c}" for c in cols)
            if name == constraint.name or qualified in text:
                for col in cols:
                    attr = col[:-3] if col.endswith("_id") else col
                    field = getattr(form, col, None) or getattr(form, attr, None)
                    if field is not None:
                        add_error(field, self.unique_message(cols))
                        return
        # SQLite does not say which foreign key failed: look for the linked
        # record that no longer exists.
        for rel in sa.inspect(self.model).relationships:
            if rel.direction.name != "MANYTOONE":
                continue
            field = getattr(form, rel.key, None)
            pk = getattr(getattr(field, "data", None), "id", None)
            if pk is None:
                continue
            target = rel.mapper.class_
            exists = db.session.execute(
                sa.select(sa.func.count()).select_from(target).where(target.id == pk)
            ).scalar_one()
            if not exists:
                add_error(
                    field,
                    "Cette fiche liée n'existe plus (supprimée entre-temps) : "
                    "choisissez-en une autre.",
                )
