"""The one base view every admin screen inherits: labels, pickers, validation."""

from __future__ import annotations

import enum
import logging
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import flash, request
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import RelationshipProperty, joinedload
from wtforms import validators

from app.admin.exports import ExportMixin
from app.admin.fields import (
    FrenchFilterConverter,
    FrenchModelConverter,
    add_error,
    date_in_range,
    finite_decimal,
    required_if_not_null,
    web_link,
)
from app.admin.history import HistoryViewMixin
from app.admin.listing import FastListMixin
from app.admin.messages import FrenchMessagesMixin
from app.auth.access import ModelAccessMixin
from app.auth.redirects import REDIRECT_PARAMS
from app.extensions import db
from app.labels import model_labels
from app.models.base import LabelledEnum, UTCDateTime
from app.normalisers import is_web_link
from app.timezone import PARIS

log = logging.getLogger(__name__)

#: Checks of a web address field: empty, or an http(s) address.
URL_VALIDATORS = (validators.Optional(), web_link)

#: Columns managed by the application, never typed by a person.
SYSTEM_COLUMNS = ("created_at", "updated_at", "version")


def _fmt_date(view, value, name=None) -> str:
    return value.strftime("%d/%m/%Y")


def _fmt_datetime(view, value, name=None) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(PARIS)
    return value.strftime("%d/%m/%Y %H:%M")


def _fmt_bool(view, value, name=None) -> str:
    return "Oui" if value else "Non"


def _fmt_decimal(view, value, name=None) -> str:
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return text


def _fmt_enum(view, value, name=None) -> str:
    return str(value.value)


def _fmt_list(view, values, name=None) -> str:
    return ", ".join(str(v) for v in values)


# Our entries come first: the first isinstance() match wins, and Flask-Admin's own
# Enum formatter would show the stored code instead of the French label.
TYPE_FORMATTERS = {
    LabelledEnum: _fmt_enum,
    **{k: v for k, v in typefmt.BASE_FORMATTERS.items()},
}
TYPE_FORMATTERS.update(
    {
        type(None): typefmt.empty_formatter,
        bool: _fmt_bool,
        datetime: _fmt_datetime,
        date: _fmt_date,
        Decimal: _fmt_decimal,
        # Flask-Admin's own Enum entry comes first and would show the stored code.
        enum.Enum: _fmt_enum,
        list: _fmt_list,
    }
)
DETAIL_FORMATTERS = dict(TYPE_FORMATTERS)


def default_search_fields(model) -> list[str]:
    """Columns a picker searches when the target model declares none."""
    declared = getattr(model, "__search__", None)
    if declared:
        return list(declared)
    names = [
        c.key
        for c in sa.inspect(model).columns
        if isinstance(c.type, sa.String) and not isinstance(c.type, sa.Enum)
    ]
    return names[:3] or ["id"]


class SecuredModelView(
    ModelAccessMixin,
    FrenchMessagesMixin,
    HistoryViewMixin,
    ExportMixin,
    FastListMixin,
    ModelView,
):
    """Base of every admin view.

    - ``ModelAccessMixin`` (app/auth/access.py): role checks on every request and
      endpoint; it comes first so that it wraps everything below.
    - ``FrenchMessagesMixin`` (app/admin/messages.py): Flask-Admin's words in the
      staff's French and confirmations that name the record.
    - ``HistoryViewMixin`` (app/admin/history.py): history, restore, optimistic
      locking, safe delete and archiving.
    - ``ExportMixin`` (app/admin/exports.py): streamed exports in open formats.
    - ``FastListMixin`` (app/admin/listing.py): list pages in a constant number
      of queries (keys first, cheap counts, row buttons built once).
    """

    page_size = 50
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    can_view_details = True
    can_export = True
    create_modal = False
    edit_modal = False
    details_modal = False
    model_form_converter = FrenchModelConverter
    filter_converter = FrenchFilterConverter()
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = DETAIL_FORMATTERS
    column_display_pk = False
    named_filter_urls = True
    #: Pairs (earlier, later, message) checked on submit.
    date_order_checks: tuple[tuple[str, str, str], ...] = ()
    #: Numeric fields that may not be negative.
    non_negative_fields: tuple[str, ...] = ()

    def __init__(self, model, session=None, **kwargs):
        kwargs.setdefault("name", getattr(model, "__label_plural__", model.__name__))
        labels = model_labels(model)
        labels.update(self.column_labels or {})
        self.column_labels = labels
        self._auto_configure(model)
        super().__init__(model, session or db, **kwargs)

    # ----- automatic defaults, so a new model needs no extra configuration
    def _auto_configure(self, model) -> None:
        mapper = sa.inspect(model)
        many_to_one = [
            p.key
            for p in mapper.relationships
            if isinstance(p, RelationshipProperty) and p.direction.name == "MANYTOONE"
        ]
        collections = [
            p.key for p in mapper.relationships if p.direction.name != "MANYTOONE"
        ]
        if self.form_excluded_columns is None or not self.form_excluded_columns:
            inline_names = {
                getattr(i, "model", i[0] if isinstance(i, tuple) else i).__tablename__
                for i in (self.inline_models or ())
            }
            keep = set(getattr(self, "form_collections", ()) or ())
            self.form_excluded_columns = [
                *SYSTEM_COLUMNS,
                *[c for c in collections if c not in keep and c not in inline_names],
            ]
        refs = dict(self.form_ajax_refs or {})
        for key in many_to_one:
            if key not in refs:
                target = mapper.relationships[key].mapper.class_
                refs[key] = {
                    "fields": default_search_fields(target),
                    "page_size": 10,
                    "placeholder": "Rechercher…",
                    "minimum_input_length": 0,
                }
        for spec in refs.values():
            # Flask-Admin's default placeholder reads "Veuillez sélectionner le modèle".
            if isinstance(spec, dict):
                spec.setdefault("placeholder", "Rechercher…")
        self.form_ajax_refs = refs
        if self.column_list is None:
            self.column_list = [
                c.key
                for c in mapper.column_attrs
                if c.key not in SYSTEM_COLUMNS
                and c.key != "id"
                and not c.key.endswith("_id")
            ] + many_to_one
        if self.column_searchable_list is None or not self.column_searchable_list:
            self.column_searchable_list = default_search_fields(model)
        if self.column_details_exclude_list is None:
            self.column_details_exclude_list = ["version"]
        if self.column_export_exclude_list is None:
            self.column_export_exclude_list = ["version"]
        if self.column_default_sort is None:
            self.column_default_sort = ("id", True)
        args = dict(self.form_args or {})
        for column in mapper.columns:
            # info={"format": "url"}: a web address, checked like every link field.
            if column.info.get("format") == "url" and column.key not in args:
                args[column.key] = {"validators": list(URL_VALIDATORS)}
        for column in mapper.columns:
            # A field replaced by one of the view's own (French euros, a meeting's
            # start) skips the converter's checks: add them back.
            if column.key not in (self.form_overrides or {}):
                continue
            check = None
            if isinstance(column.type, sa.Numeric):
                check = finite_decimal(column.type.precision, column.type.scale)
            elif isinstance(column.type, UTCDateTime | sa.Date | sa.DateTime):
                check = date_in_range
            spec = dict(args.get(column.key, {}))
            if check is not None:
                spec["validators"] = [*spec.get("validators", []), check]
            required_if_not_null(column, spec)
            args[column.key] = spec
        for name in self.non_negative_fields:
            spec = dict(args.get(name, {}))
            spec.setdefault("validators", []).append(
                validators.NumberRange(min=0, message="La valeur doit être positive.")
            )
            args[name] = spec
        columns = sa.inspect(model).columns
        for name in REDIRECT_PARAMS:
            # A field posted as ``url`` (a document's link) would be taken for the
            # page to go to after saving, and refused by the request check: it is
            # posted under another name, the record's attribute keeps its own.
            if name in columns:
                spec = dict(args.get(name, {}))
                spec.setdefault("name", f"{model.__tablename__}_{name}")
                args[name] = spec
        self.form_args = args

    # ----- queries: load what the list shows in the same query (no N+1)
    def _eager_options(self) -> list:
        """Joined loads for the many-to-one columns of the list and for what their
        ``__str__`` reads (``__str_relations__``, two levels), built once per view."""
        cached = self.__dict__.get("_eager_cache")
        if cached is not None:
            return cached

        def chain(loader, model, depth):
            loaders = []
            for sub in getattr(model, "__str_relations__", ()):
                target = sa.inspect(model).relationships[sub].mapper.class_
                sub_loader = loader.joinedload(getattr(model, sub))
                loaders += (
                    chain(sub_loader, target, depth - 1) if depth > 1 else []
                ) or [sub_loader]
            return loaders

        mapper = sa.inspect(self.model)
        opts = []
        for name in self.column_list or ():
            key = name if isinstance(name, str) else name[0]
            rel = mapper.relationships.get(key)
            if rel is None or rel.direction.name != "MANYTOONE":
                continue
            loader = joinedload(getattr(self.model, key))
            opts += chain(loader, rel.mapper.class_, 2) or [loader]
        for sub in getattr(self.model, "__str_relations__", ()):
            if sub not in (self.column_list or ()):
                opts.append(joinedload(getattr(self.model, sub)))
        self._eager_cache = opts
        return opts

    def get_query(self):
        query = super().get_query()
        opts = self._eager_options()
        return query.options(*opts) if opts else query

    # ----- "add" shortcuts of the details pages: ?group=3 pre-fills the group,
    # ?plan_actions=7 puts action 7 in a document's list of linked actions
    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method != "GET":
            return form
        mapper = sa.inspect(self.model)
        for key, raw in request.args.items():
            rel = mapper.relationships.get(key)
            field = getattr(form, key, None)
            if rel is None or field is None:
                continue
            if rel.direction.name not in ("MANYTOONE", "MANYTOMANY"):
                continue
            if not raw.isdigit() or len(raw) > 18:
                continue
            target = db.session.get(rel.mapper.class_, int(raw))
            if target is not None:
                field.data = target if rel.direction.name == "MANYTOONE" else [target]
        return form

    # ----- validation: field errors in French rather than database errors
    def validate_form(self, form) -> bool:
        ok = super().validate_form(form)
        if not ok:
            return False
        if not isinstance(form, self._create_form_class | self._edit_form_class):
            # Delete and inline-edit forms hold an id or a single field.
            return ok
        ok = self._check_date_order(form) and ok
        ok = self._check_uniques(form) and ok
        ok = self.extra_validation(form) and ok
        return ok

    def extra_validation(self, form) -> bool:
        """Hook for view-specific rules; add errors to fields and return False."""
        return True

    def _check_date_order(self, form) -> bool:
        ok = True
        for earlier, later, message in self.date_order_checks:
            a = getattr(form, earlier, None)
            b = getattr(form, later, None)
            if a is None or b is None or a.data is None or b.data is None:
                continue
            if b.data < a.data:
                add_error(b, message)
                ok = False
        return ok

    def _editing_id(self):
        return request.args.get("id")

    def _check_uniques(self, form) -> bool:
        ok = True
        table = self.model.__table__
        current_id = self._editing_id()
        for constraint in table.constraints:
            if not isinstance(constraint, sa.UniqueConstraint):
                continue
            cols = [c.key for c in constraint.columns]
            values = {}
            field = None
            for col in cols:
                attr = col[:-3] if col.endswith("_id") else col
                f = getattr(form, col, None) or getattr(form, attr, None)
                if f is None:
                    break
                data = f.data
                if hasattr(data, "id") and col.endswith("_id"):
                    data = data.id
                if data is None or data == "":
                    break
                values[col] = data
                field = field or f
            else:
                if field is None:
                    continue
                stmt = sa.select(sa.func.count()).select_from(table)
                for col, value in values.items():
                    stmt = stmt.where(table.c[col] == value)
                if current_id is not None:
                    try:
                        stmt = stmt.where(table.c.id != int(current_id))
                    except ValueError:
                        pass
                if db.session.execute(stmt).scalar():
                    add_error(field, self.unique_message(cols))
                    ok = False
        return ok

    def unique_message(self, cols: list[str]) -> str:
        labels = [
            self.column_labels.get(c[:-3] if c.endswith("_id") else c, c) for c in cols
        ]
        if len(labels) == 1:
            return f"Cette valeur de « {labels[0]} » est déjà utilisée."
        return (
            "Un enregistrement existe déjà avec ces valeurs : "
            + ", ".join(f"« {lbl} »" for lbl in labels)
            + "."
        )

    # ----- errors: never show database text
    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, IntegrityError):
            log.warning("Integrity error in %s: %s", self.endpoint, exc)
            flash(
                "L'enregistrement n'a pas pu être fait : il contredit une règle "
                "(valeur déjà utilisée, fiche liée manquante ou utilisée ailleurs). "
                "Vos saisies sont conservées ci-dessous.",
                "error",
            )
            return True
        log.exception("Error in admin view %s", self.endpoint)
        flash(
            "L'opération n'a pas pu aboutir à cause d'une erreur interne ; "
            "elle a été consignée. Vos saisies sont conservées.",
            "error",
        )
        return True


def linkify(url: str | None, label: str | None = None) -> Markup | str:
    """A link showing its name ("Google Drive partagé") and its address, or the
    address alone; a value stored before links were checked (a ``javascript:``
    address) is shown as plain text, never made clickable."""
    if not url:
        return label or ""
    if not is_web_link(url):
        return f"{label} ({url})" if label else url
    if label:
        return Markup('<a href="{0}" rel="noopener noreferrer">{1}</a> ({0})').format(
            url, label
        )
    return Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(url)
