"""Per-request authorization for admin views (mixed into SecuredModelView).

Flask-Admin view objects are shared by every user, so nothing here is stored
on the view: each check reads ``current_user`` for the request being served.
"""

from __future__ import annotations

import enum
import json
import math

from flask import Response, abort, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict

from app.models.accounts import Role

#: Integer primary keys are 32-bit on PostgreSQL.
MAX_ID = 2**31 - 1
MAX_PAGE = 10**6
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Flask-Admin endpoints that change data (or show a form that would). A picker's
#: search (``ajax_lookup``) only serves the create and edit forms.
WRITE_VIEWS = frozenset(
    {
        "create_view",
        "edit_view",
        "delete_view",
        "action_view",
        "ajax_update",
        "ajax_lookup",
    }
)
#: Most records a picker's search returns at once (Flask-Admin asks for 10).
LOOKUP_MAX = 50
EXPORT_VIEWS = frozenset({"export"})
#: Capability flags the templates read; combined with the role on each access.
_FLAG_ROLES = {
    "can_create": "write_role",
    "can_edit": "write_role",
    "can_delete": "write_role",
    "can_export": "export_role",
}


def user_has(role: Role) -> bool:
    # The account itself, not the proxy: each attribute read through
    # ``current_user`` looks the user up again (a list page asks ~70 times).
    user = current_user._get_current_object()
    return bool(
        user and user.is_authenticated and user.is_active and user.has_role(role)
    )


def refuse(name: str = ""):
    """403 for a logged-in user; login page (GET) or 403 (others) for anonymous.

    The 403 error handler writes the refusal to the security log.
    """
    if current_user.is_authenticated or request.method not in SAFE_METHODS:
        abort(403)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _strict_filter(flt, validate):
    """``flt.validate`` that also refuses what would fail in the query: a value
    outside the filter's list (an unknown enum code), a date Paris time cannot
    convert (year 1), an integer beyond the column, a number that is not finite.
    Flask-Admin then ignores the filter with a message instead of a 500."""

    def check(value) -> bool:
        try:
            if not validate(value):
                return False
            cleaned = flt.clean(value)
            options = flt.options() if callable(flt.options) else flt.options
        except (ValueError, TypeError, LookupError, OverflowError, ArithmeticError):
            return False
        values = cleaned if isinstance(cleaned, list | tuple) else [cleaned]
        if options:
            known = {str(key) for key, _label in options}
            # Enum filters clean "company" into the member itself.
            names = [v.name if isinstance(v, enum.Enum) else str(v) for v in values]
            if not all(n in known for n in names):
                return False
        for v in values:
            if isinstance(v, int) and not isinstance(v, bool) and not _valid_id(v):
                return False
            if isinstance(v, float) and not (math.isfinite(v) and abs(v) < 1e15):
                return False
        return True

    return check


def _valid_id(value) -> bool:
    try:
        return -MAX_ID <= int(str(value)) <= MAX_ID
    except (TypeError, ValueError):
        return False


class _FlagDescriptor:
    """A capability flag: the class's own value AND the current user's role."""

    def __init__(self, name: str, role_attr: str) -> None:
        self.name = name
        self.role_attr = role_attr
        self.store = f"_static_{name}"

    def __get__(self, view, owner=None):
        if view is None:
            return getattr(owner, self.store, True)
        return bool(getattr(view, self.store, True)) and user_has(
            getattr(view, self.role_attr)
        )

    def __set__(self, view, value) -> None:
        setattr(view, self.store, value)


class AccessMixin:
    """Role checks for every endpoint of a Flask-Admin view (model views, dashboard).

    - ``read_role``: lists, details, lookups and any other GET endpoint;
    - ``write_role``: create, edit, delete, bulk actions, inline edit, and any
      non-GET request to an endpoint added later (default deny);
    - ``export_role``: exports (the lecteur exports no personal data).
    """

    read_role: Role = Role.reader
    write_role: Role = Role.editor
    export_role: Role = Role.editor
    #: Extra endpoint names that need ``write_role`` even for a GET.
    extra_write_views: frozenset[str] = frozenset()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # ``can_create = False`` in a subclass would hide the descriptor: keep the
        # declared value as the static part of the flag instead.
        for flag in _FLAG_ROLES:
            if flag in cls.__dict__ and not isinstance(
                cls.__dict__[flag], _FlagDescriptor
            ):
                setattr(cls, f"_static_{flag}", cls.__dict__[flag])
                delattr(cls, flag)

    def required_role(self, name: str) -> Role:
        # Any endpoint named like an export (added later, e.g. another format)
        # is an export: the lecteur exports no personal data.
        if name in EXPORT_VIEWS or "export" in name:
            return self.export_role
        if (
            name in WRITE_VIEWS
            or name in self.extra_write_views
            or request.method not in SAFE_METHODS
        ):
            return self.write_role
        return self.read_role

    def is_accessible(self) -> bool:
        return user_has(self.read_role)

    def is_visible(self) -> bool:
        return user_has(self.read_role)

    def inaccessible_callback(self, name, **kwargs):
        return refuse(name)

    def _handle_view(self, name, **kwargs):
        if not user_has(self.read_role) or not user_has(self.required_role(name)):
            return refuse(name)
        return super()._handle_view(name, **kwargs)


class ModelAccessMixin(AccessMixin):
    """AccessMixin plus the model-view endpoints' input hardening.

    Kept apart from AccessMixin because exposing ``action_view`` and
    ``ajax_update`` on a non-model view (the dashboard) would add routes.
    """

    def is_action_allowed(self, name: str) -> bool:
        return user_has(self.write_role) and super().is_action_allowed(name)

    # ----- malformed input is "not found" or ignored, never a 500 ------------
    def get_one(self, id):
        # Every record id is an integer: anything else is "not found" (PostgreSQL
        # rejects the cast or the range, SQLite would silently compare text).
        if not _valid_id(id):
            return None
        return super().get_one(str(int(str(id))))

    def _refresh_filters_cache(self) -> None:
        super()._refresh_filters_cache()
        for flt in self._filters or ():
            if not getattr(flt, "_cdpl_strict", False):
                flt.validate = _strict_filter(flt, flt.validate)
                flt._cdpl_strict = True

    def _get_list_extra_args(self):
        args = super()._get_list_extra_args()
        if args.page is None or args.page < 0 or args.page > MAX_PAGE:
            args.page = 0
        if args.page_size and args.page_size not in (self.page_size_options or ()):
            args.page_size = 0  # the view's default
        columns = len(getattr(self, "_list_columns", None) or ())
        if args.sort is not None and not 0 <= args.sort < columns:
            args.sort = None
        return args

    @expose("/action/", methods=("POST",))
    def action_view(self):
        # Bulk actions put every ``rowid`` in an IN (...): one malformed id
        # breaks the whole query (and the PostgreSQL transaction).
        values = request.form.getlist("rowid")
        if not all(_valid_id(v) for v in values):
            abort(400)
        # Flask-Admin passes the ids as text to ``pk.in_(...)``; PostgreSQL has no
        # integer = varchar operator, so hand the actions integers instead.
        form = request.form.copy()
        form.setlist("rowid", [int(v) for v in values])
        request.__dict__["form"] = ImmutableMultiDict(form)
        return super().action_view()

    # ----- pickers answer only what the role may read -----------------------
    def may_read_model(self, model) -> bool:
        """Does the current account read ``model`` on a screen of its own?

        A record type with no screen (e.g. a session) is for administrators.
        """
        views = [
            v
            for v in getattr(getattr(self, "admin", None), "_views", ())
            if getattr(v, "model", None) is model and isinstance(v, AccessMixin)
        ]
        if not views:
            return user_has(Role.admin)
        return any(user_has(v.read_role) for v in views)

    @expose("/ajax/lookup/")
    def ajax_lookup(self):
        # The role check (_handle_view) already asked for the right to fill this
        # view's forms; the picked records must also be readable by that role
        # (a lecteur's calendar-token screen listed every staff account).
        loader = (self._form_ajax_refs or {}).get(request.args.get("name", ""))
        target = getattr(loader, "model", None)
        if loader is None or (target is not None and not self.may_read_model(target)):
            abort(404)
        offset = request.args.get("offset", 0, type=int) or 0
        limit = request.args.get("limit", 10, type=int) or 10
        offset = min(max(offset, 0), MAX_PAGE)
        limit = min(max(limit, 1), LOOKUP_MAX)
        query = request.args.get("query", "")[:200]
        found = loader.get_list(query, offset, limit)
        data = [loader.format(m) for m in found]
        return Response(json.dumps(data), mimetype="application/json")

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        # Flask-Admin answers 500 for "no such record" or a refused value: those
        # are the client's errors (400), and a 500 would hide real failures.
        result = super().ajax_update()
        if isinstance(result, tuple) and len(result) == 2 and result[1] == 500:
            return result[0], 400
        return result


for _flag, _role_attr in _FLAG_ROLES.items():
    setattr(AccessMixin, _flag, _FlagDescriptor(_flag, _role_attr))
