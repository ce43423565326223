"""List pages that stay fast on large tables (issue 8, see docs/performance.md).

Mixed into ``SecuredModelView`` (searches: ``app.admin.search``, pickers:
``app.admin.pickers``):

- row action buttons (details, edit, delete) are rendered in Python from one URL
  built per request, instead of one Jinja macro call and one ``url_for`` per row
  and button: that was half of the time of a 50-row page;
- each row's cells are written by one Python call (``list_row_html``) from what
  is worked out once per page (columns, which cells are links or buttons, the
  check box's title, the type formatter of each value type), instead of some
  twenty Jinja calls and a walk through the type formatters per cell;
- deep pages, searches and filtered lists load in two steps, first the 50
  primary keys (an index-only scan that skips the offset or sorts only keys),
  then those rows with their joined relations, instead of joining every
  skipped or sorted row;
- edit pages load inline sub-forms (attendance of a meeting, members of a
  group) and their related records in two queries, not one per line;
- counts are ``count(*)``, not Flask-Admin's ``count(?)`` with a bound
  ``'*'`` that SQLite cannot answer from its b-tree shortcut;
- on PostgreSQL, an unfiltered list of a large table shows the planner's row
  estimate instead of ``count(*)``, which reads the whole table (tens of ms at
  400,000 rows). Searches and filters keep an exact count (a search of an
  otherwise unfiltered list counts the keys the index gave).
"""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import g, has_request_context
from flask_admin.babel import gettext
from flask_admin.contrib.sqla import tools
from flask_admin.model import template as row_templates
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload, selectinload

from app.admin.search import FastSearchMixin

#: Offsets from which a page is loaded keys-first.
DEEP_OFFSET = 500
#: A search or filter matching at most this many rows reads its page in one
#: query (sorting them with their joined relations costs less than a second
#: query: 1.5 ms for a member name's 237 matches).
FEW_ROWS = 300
#: Tables at least this large (planner estimate) get an estimated count.
ESTIMATE_FROM_ROWS = 100_000

_ICONS = {
    ".details_view": "fa fa-eye glyphicon glyphicon-eye-open",
    ".edit_view": "fa fa-pencil glyphicon glyphicon-pencil",
    ".delete_confirm_view": "fa fa-trash glyphicon glyphicon-trash",
    ".history_view": "fa fa-history",
}


def _request_cache() -> dict:
    if "_cdpl_row_actions" not in g:
        g._cdpl_row_actions = {}
    return g._cdpl_row_actions


#: No type formatter applies to values of this type (cached as such).
_NO_FORMATTER = object()


def _first_formatter(formatters: dict, value):
    """Flask-Admin's rule: the first formatter whose type ``value`` is an instance of."""
    return next(
        (f for t, f in formatters.items() if isinstance(value, t)), _NO_FORMATTER
    )


def _quote_id(row_id) -> str:
    return quote(str(row_id), safe="!$'()*,:;@")


class FastLinkAction(row_templates.BaseListRowAction):
    """Same markup as Flask-Admin's view/edit row links, one URL per request."""

    def __init__(self, endpoint: str, title: str | None):
        super().__init__(title=title)
        self.endpoint = endpoint

    def _parts(self, context) -> tuple[str, str]:
        return_url = context.resolve("return_url")
        key = (id(context.resolve("admin_view")), self.endpoint, return_url)
        cache = _request_cache()
        if key not in cache:
            get_url = context.resolve("get_url")
            marker = "__CDPL_ROW_ID__"
            url = str(escape(get_url(self.endpoint, id=marker, url=return_url)))
            head, _, tail = url.partition(marker)
            cache[key] = (
                Markup('<a class="icon" href="') + Markup(head),
                Markup(tail)
                + Markup(
                    '" title="{0}" aria-label="{0}">'
                    '<span class="{1}" aria-hidden="true"></span></a>'
                ).format(self.title or "", _ICONS[self.endpoint]),
            )
        return cache[key]

    def id_text(self, row_id) -> str:
        """The row's id as it stands between the two parts (URL-quoted, escaped)."""
        return escape(_quote_id(row_id))

    def render(self, context, row_id, row):
        head, tail = self._parts(context)
        return head + Markup(self.id_text(row_id)) + tail


class FastDeleteAction(row_templates.BaseListRowAction):
    """Same form as Flask-Admin's delete button, CSRF token computed once."""

    def _parts(self, context) -> tuple[Markup, Markup]:
        return_url = context.resolve("return_url")
        key = (id(context.resolve("admin_view")), "delete", return_url)
        cache = _request_cache()
        if key not in cache:
            get_url = context.resolve("get_url")
            delete_form = context.resolve("delete_form")
            csrf = ""
            token_field = getattr(delete_form, "csrf_token", None)
            if token_field:
                csrf = Markup(token_field())
            else:
                token_fn = context.resolve("csrf_token")
                if callable(token_fn):
                    csrf = Markup(
                        '<input type="hidden" name="csrf_token" value="{}"/>'
                    ).format(token_fn())
            head = Markup(
                '<form class="icon" method="POST" action="{}">'
                '<input id="id" name="id" type="hidden" value="'
            ).format(get_url(".delete_view"))
            tail = Markup(
                '"><input id="url" name="url" type="hidden" value="{}">{}'
                "<button onclick=\"return faHelpers.safeConfirm('{}');\" "
                'title="{}"><span class="fa fa-trash glyphicon glyphicon-trash">'
                "</span></button></form>"
            ).format(
                return_url,
                csrf,
                gettext("Are you sure you want to delete this record?"),
                self.title or "",
            )
            cache[key] = (head, tail)
        return cache[key]

    def id_text(self, row_id) -> str:
        """The row's id as it stands between the two parts (escaped)."""
        return escape(str(row_id))

    def render(self, context, row_id, row):
        head, tail = self._parts(context)
        return head + self.id_text(row_id) + tail


class _RowLayout:
    """What every row of one list page shares, worked out at its first row."""

    __slots__ = ("checkbox", "actions", "columns")

    def __init__(self, view, context) -> None:
        self.checkbox: tuple[Markup, Markup] | None = None
        if context.resolve("actions"):
            self.checkbox = (
                Markup(
                    '<td><input type="checkbox" name="rowid" '
                    'class="action-checkbox" value="'
                ),
                Markup('" title="{}" /></td>').format(gettext("Select record")),
            )
        #: (action, head, tail): the two fixed parts of a fast button around
        #: the row's id, or None for another action (rendered by its own code).
        self.actions = None
        if view.column_display_actions:
            self.actions = [
                (action, *action._parts(context))
                if isinstance(action, FastLinkAction | FastDeleteAction)
                else (action, None, None)
                for action in context.resolve("list_row_actions") or ()
            ]
        self.columns = [
            (name, Markup('<td class="col-{}">').format(name))
            for name, _label in context.resolve("list_columns")
        ]


class FastListMixin(FastSearchMixin):
    """List-page speed-ups for ``flask_admin.contrib.sqla.ModelView`` subclasses."""

    # ----- list rows: one Python call per row (admin/history/list.html)
    #: False: rows written by Flask-Admin's own Jinja block (same HTML, slower).
    fast_list_rows = True

    @pass_context
    def list_row_html(self, context, row) -> Markup:
        """The cells of one row of the list page, as Flask-Admin's ``list_row``
        block writes them (check box, row buttons, one cell per column).

        Not used when the view has inline-editable columns (the template keeps
        Flask-Admin's block, which builds one small form per cell).
        """
        cache = _request_cache()
        key = (id(self), "layout")
        layout = cache.get(key)
        if layout is None:
            layout = cache[key] = _RowLayout(self, context)
        row_id = self.get_pk_value(row)
        parts: list[str] = []
        if layout.checkbox is not None:
            head, tail = layout.checkbox
            parts += (head, escape(row_id), tail)
        if layout.actions is not None:
            parts.append('<td class="list-buttons-column">')
            for action, head, tail in layout.actions:
                if head is None:
                    parts.append(action.render_ctx(context, row_id, row))
                else:
                    parts += (head, action.id_text(row_id), tail)
            parts.append("</td>")
        formatters = self.column_formatters
        for name, cell in layout.columns:
            value = self._get_list_value(
                context, row, name, formatters, self.column_type_formatters
            )
            parts += (cell, escape(value), "</td>")
        return Markup("".join(parts))

    def _type_formatter(self, formatters: dict, value):
        """The first formatter of ``formatters`` whose type ``value`` is an
        instance of (Flask-Admin's rule), looked up once per value type."""
        cache = self.__dict__.setdefault("_cdpl_type_formatters", {})
        key = (id(formatters), type(value))
        found = cache.get(key)
        if found is None:
            found = cache[key] = _first_formatter(formatters, value)
        return None if found is _NO_FORMATTER else found

    def _get_list_value(
        self, context, model, name, column_formatters, column_type_formatters
    ):
        # Flask-Admin's own, with the type formatter found from a cache instead
        # of an isinstance() test per formatter for every cell.
        column_fmt = column_formatters.get(name)
        if column_fmt is not None:
            value = column_fmt(self, context, model, name)
        else:
            value = self._get_field_value(model, name)
        choices_map = self._column_choices_map.get(name, {})
        if choices_map:
            return choices_map.get(value) or value
        type_fmt = self._type_formatter(column_type_formatters, value)
        if type_fmt is None:
            return value
        return type_fmt(self, value, name)

    def get_list_row_actions(self):
        actions = []
        for action in super().get_list_row_actions():
            kind = type(action)
            if kind is row_templates.ViewRowAction:
                # Flask-Admin's catalogue says "Afficher l'enregistrement".
                action = FastLinkAction(".details_view", "Voir la fiche")
            elif kind is row_templates.EditRowAction:
                action = FastLinkAction(".edit_view", "Modifier")
            elif kind is row_templates.DeleteRowAction:
                action = FastDeleteAction(action.title)
            actions.append(action)
        return actions

    # ----- edit pages: inline sub-forms without one query per line
    def _inline_eager_options(self) -> list:
        mapper = sa.inspect(self.model)
        inline_models = set()
        for inline in self.inline_models or ():
            model = getattr(inline, "model", None)
            if model is None:
                model = inline[0] if isinstance(inline, tuple) else inline
            inline_models.add(model)
        options = []
        for rel in mapper.relationships:
            if rel.direction.name == "MANYTOONE" or rel.mapper.class_ not in (
                inline_models
            ):
                continue
            loader = selectinload(getattr(self.model, rel.key))
            subs = [
                loader.joinedload(getattr(rel.mapper.class_, sub.key))
                for sub in rel.mapper.relationships
                if sub.direction.name == "MANYTOONE"
                and sub.mapper.class_ is not self.model
            ]
            options.extend(subs or [loader])
        return options

    def get_one(self, id):
        options = self._inline_eager_options()
        if not options:
            return super().get_one(id)
        session = getattr(self.session, "session", self.session)
        return session.get(self.model, tools.iterdecode(id), options=options)

    # ----- counts
    def _estimated_rows(self) -> int | None:
        """Planner estimate of the table's rows (PostgreSQL only), else None."""
        session = getattr(self.session, "session", self.session)
        if session.get_bind().dialect.name != "postgresql":
            return None
        estimate = session.execute(
            sa.text(
                "SELECT CAST(reltuples AS bigint) FROM pg_class "
                "WHERE oid = CAST(:t AS regclass)"
            ),
            {"t": self.model.__table__.name},
        ).scalar()
        if estimate is None or estimate < ESTIMATE_FROM_ROWS:
            return None
        return int(estimate)

    def get_count_query(self):
        if has_request_context() and g.get("_cdpl_skip_count"):
            return None
        # Flask-Admin counts func.count("*"), i.e. count(?) with a bound '*':
        # SQLite then reads a whole index (20 ms at 400,000 rows) instead of
        # using its count(*) shortcut (1 ms).
        session = getattr(self.session, "session", self.session)
        return session.query(sa.func.count()).select_from(self.model)

    def get_list(
        self,
        page,
        sort_column,
        sort_desc,
        search,
        filters,
        execute=True,
        page_size=None,
    ):
        estimate = None
        if execute and not search and not filters and not self.simple_list_pager:
            estimate = self._estimated_rows()
        g._cdpl_skip_count = estimate is not None
        # A search on an otherwise unfiltered list may count its keys itself
        # (``FastSearchMixin._apply_search``).
        g._cdpl_unfiltered = not filters
        g.pop("_cdpl_search_count", None)
        g.pop("_cdpl_search_walks", None)
        try:
            count, query = super().get_list(
                page,
                sort_column,
                sort_desc,
                search,
                filters,
                execute=False,
                page_size=page_size,
            )
        finally:
            g._cdpl_skip_count = False
            g._cdpl_unfiltered = False
            search_count = g.pop("_cdpl_search_count", None)
            walks = g.pop("_cdpl_search_walks", False)
        if estimate is not None:
            count = estimate
        elif count is None and search_count is not None:
            count = search_count
        if not execute:
            return count, query
        size = self.page_size if page_size is None else page_size
        deep = bool(page and size and page * size >= DEEP_OFFSET)
        if walks and not deep and not filters:
            # The search's keys are tested while the sort index is walked
            # (``key_in``, ``id + 0``): the database cannot start from them, so
            # the page's rows are read in that one walk, not keys first then
            # rows (one statement less to build and run: 0.8 ms of a meeting
            # search on SQLite). Not for a search by a related record's keys
            # (attendance by member): read with their joins in one statement,
            # SQLite starts from the keys (43 ms instead of 20).
            return count, query.all()
        if deep or ((search or filters) and (count is None or count > FEW_ROWS)):
            return count, self._keys_first(query)
        return count, query.all()

    def _keys_first(self, query):
        """Run a paginated query as keys (cheap offset) then rows (by key)."""
        pk = sa.inspect(self.model).primary_key
        if len(pk) != 1:
            return query.all()
        keys = [row[0] for row in query.enable_eagerloads(False).with_entities(pk[0])]
        if not keys:
            return []
        # The rows are read by their keys alone, in the page's order: the
        # search and filter conditions already chose them, and repeated here
        # SQLite may start from a search's 2,000 keys instead of these 50.
        rows = self.get_query().filter(pk[0].in_(keys))
        for relation in self._auto_joins:
            rows = rows.options(joinedload(relation))
        attribute = sa.inspect(self.model).get_property_by_column(pk[0]).key
        by_key = {getattr(row, attribute): row for row in rows}
        return [by_key[key] for key in dict.fromkeys(keys) if key in by_key]
