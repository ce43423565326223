"""Authorization on every admin endpoint, generated from the app's URL map.

Anonymous visitors are refused every admin rule (GET and POST), a lecteur is
refused every rule that writes or exports, an éditeur is refused the account
screens; each refusal leaves every table exactly as it was (rows compared).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import url_for

from app.admin import model_views
from app.auth.access import EXPORT_VIEWS, WRITE_VIEWS
from app.extensions import db as _db
from app.models.accounts import Role

#: Tables the refused requests may legitimately write (sessions, security log).
VOLATILE = {"auth_session", "security_event"}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every business table, in primary-key order."""
    _db.session.rollback()  # SQLite: the test's own transaction would lock requests
    data = {}
    with _db.engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            if table.name in VOLATILE:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            data[table.name] = [tuple(r) for r in rows]
    return data


def row_counts() -> tuple:
    """Row count of every business table, in one query (checked per request)."""
    _db.session.rollback()
    tables = [t for t in _db.metadata.sorted_tables if t.name not in VOLATILE]
    stmt = sa.select(
        *[sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables]
    )
    with _db.engine.connect() as conn:
        return tuple(conn.execute(stmt).one())


def admin_rules(app):
    """(rule, url, view) for every rule served by an admin view."""
    admin = app.extensions["admin"][0]
    views = {v.endpoint: v for v in admin._views}
    found = []
    for rule in app.url_map.iter_rules():
        blueprint, _, func = rule.endpoint.rpartition(".")
        if blueprint not in views or func == "static":
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, "csv"))
        found.append((rule, func, url, views[blueprint]))
    return found


def first_id(view) -> int | None:
    model = getattr(view, "model", None)
    if model is None:
        return None
    pk = _db.session.execute(sa.select(model.id).order_by(model.id)).scalar()
    _db.session.rollback()
    return pk


def payload(view, pk) -> dict:
    """Form data that would delete or edit a row if the request were allowed."""
    data = {
        "id": pk,
        "list_form_pk": pk,
        "rowid": [pk],
        "action": "delete",
        "url": "/admin/",
    }
    model = getattr(view, "model", None)
    if pk is not None and model is not None and hasattr(model, "version"):
        # The delete form carries the version seen (optimistic locking).
        data["seen_version"] = _db.session.execute(
            sa.select(model.version).where(model.id == pk)
        ).scalar()
        _db.session.rollback()
    for col in getattr(view, "column_list", None) or ():
        key = col if isinstance(col, str) else col[0]
        data.setdefault(key, "Valeur forcée")
    return data


def is_write(rule, func) -> bool:
    return func in WRITE_VIEWS or func in EXPORT_VIEWS or "POST" in rule.methods


@pytest.fixture
def everything(full_data, make_user):
    """Demo data plus one account of each role, so every table has rows."""
    make_user(role=Role.admin, email="autre.admin@example.org")
    return full_data


def _check(client, app, expect_codes, rules_filter):
    """Requests every selected rule; returns the unexpected answers.

    Row counts are compared around each request, every row's contents around
    the whole run (nothing may change at all, so a difference anywhere fails).
    """
    failures = []
    start = snapshot()
    for rule, func, url, view in admin_rules(app):
        if not rules_filter(rule, func, view):
            continue
        pk = first_id(view)
        query = f"{url}?id={pk}" if pk is not None else url
        for method in ("GET", "POST"):
            before = row_counts()
            if method == "GET":
                response = client.get(query)
            else:
                response = client.post(query, data=payload(view, pk))
            after = row_counts()
            if method not in rule.methods:
                # GET-only rules refuse a POST at routing level (and vice versa).
                ok = response.status_code == 405
            else:
                ok = response.status_code in expect_codes
            if ok and response.status_code == 302:
                ok = "/connexion" in response.headers["Location"]
            if not ok or before != after:
                failures.append((method, rule.rule, response.status_code))
    if snapshot() != start:
        failures.append(("contents changed", "", 0))
    return failures


def test_rule_list_covers_every_view(app):
    rules = admin_rules(app)
    endpoints = {view.endpoint for _, _, _, view in rules}
    assert {v.endpoint for v in model_views(app.extensions["admin"][0])} <= endpoints
    assert "admin" in endpoints  # the dashboard
    funcs = {func for _, func, _, _ in rules}
    assert WRITE_VIEWS | EXPORT_VIEWS | {"index_view", "details_view"} <= funcs
    assert len(rules) > 100


def test_anonymous_refused_everywhere(app, client, everything):
    """GET leads to the login page, POST is refused; nothing changes."""
    failures = _check(client, app, {302, 403}, lambda rule, func, view: True)
    assert failures == []


#: Screens where every account manages its own records (lecteur included).
PERSONAL_VIEWS = {"calendar_token"}


def test_reader_refused_every_write(app, reader_client, everything):
    failures = _check(
        reader_client,
        app,
        {403},
        lambda rule, func, view: (
            is_write(rule, func) and view.endpoint not in PERSONAL_VIEWS
        ),
    )
    assert failures == []


def test_personal_screens_only_show_ones_own_records(
    app, admin_client, reader_client, everything
):
    """A lecteur subscribes to the calendar but never sees another's token."""
    from app.models import CalendarToken

    assert (
        reader_client.post(
            "/admin/calendar_token/new/", data={"label": "Agenda du lecteur"}
        ).status_code
        == 302
    )
    admin_client.post("/admin/calendar_token/new/", data={"label": "Agenda admin"})
    _db.session.rollback()
    tokens = {
        t.label: t for t in _db.session.execute(sa.select(CalendarToken)).scalars()
    }
    reader_list = reader_client.get("/admin/calendar_token/").get_data(as_text=True)
    assert "Agenda du lecteur" in reader_list and "Agenda admin" not in reader_list
    other = tokens["Agenda admin"].id
    assert reader_client.get(f"/admin/calendar_token/edit/?id={other}").status_code in (
        302,
        404,
    )
    admin_list = admin_client.get("/admin/calendar_token/").get_data(as_text=True)
    assert "Agenda du lecteur" in admin_list and "Agenda admin" in admin_list


#: Screens holding every account, every session hash or every change: the full
#: dump, the transfer log, the change journal, the accounts and the security log.
ADMIN_ONLY_VIEWS = {"dump", "journal", "change_log", "account", "security_event"}


def admin_only_endpoints(app) -> set[str]:
    """Endpoints of every view whose role (read, write or export) is administrateur."""
    return {
        view.endpoint
        for _, _, _, view in admin_rules(app)
        if Role.admin
        in {getattr(view, a, None) for a in ("read_role", "write_role", "export_role")}
    }


def test_admin_only_screens_declare_the_administrator_role(app):
    """The full dump, the journals and the accounts stay administrator screens."""
    assert ADMIN_ONLY_VIEWS <= admin_only_endpoints(app)


@pytest.mark.parametrize("who", ["editor_client", "reader_client"])
def test_non_administrators_refused_every_administrator_screen(
    app, everything, request, who
):
    """Every rule of every administrator view, GET and POST: 403, nothing changes."""
    client = request.getfixturevalue(who)
    targets = ADMIN_ONLY_VIEWS | admin_only_endpoints(app)
    checked = {v.endpoint for _, _, _, v in admin_rules(app) if v.endpoint in targets}
    assert checked == targets  # every listed screen is really served
    failures = _check(
        client, app, {403}, lambda rule, func, view: view.endpoint in targets
    )
    assert failures == []


def test_security_log_is_for_administrators(
    admin_client, editor_client, reader_client, everything
):
    assert reader_client.get("/admin/security_event/").status_code == 403
    assert editor_client.get("/admin/security_event/").status_code == 403
    page = admin_client.get("/admin/security_event/").get_data(as_text=True)
    # The fixtures' logins and the two refusals above are listed, in French.
    assert "Connexion réussie" in page
    assert "Accès refusé (403)" in page
    assert "reader" in page and "editor" in page


def test_the_refused_payload_would_change_data(app, editor_client, everything):
    """Control: the same delete request by an éditeur does remove the row."""
    from app.models import Measurement

    pk = _db.session.execute(sa.select(Measurement.id)).scalar()
    response = editor_client.post(
        f"/admin/measurement/delete/?id={pk}",
        data=payload(_view(app, "measurement"), pk),
    )
    assert response.status_code == 302
    assert _db.session.get(Measurement, pk) is None


def _view(app, endpoint):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)


def test_reader_reads_but_sees_no_write_buttons(app, reader_client, everything):
    html = reader_client.get("/admin/member/").get_data(as_text=True)
    assert reader_client.get("/admin/member/").status_code == 200
    assert "/admin/member/new/" not in html
    assert "/admin/member/export/" not in html
    assert "/admin/member/delete/" not in html
    pk = first_id(_view(app, "member"))
    assert reader_client.get(f"/admin/member/details/?id={pk}").status_code == 200
    # the accounts menu entry is hidden from non-administrators
    assert "/admin/account/" not in html


def test_editor_can_write_and_export(app, editor_client, everything):
    html = editor_client.get("/admin/member/").get_data(as_text=True)
    assert "/admin/member/new/" in html
    assert editor_client.get("/admin/member/new/").status_code == 200
    response = editor_client.get("/admin/member/export/csv/")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"


def test_reader_export_refused(app, reader_client, everything):
    response = reader_client.get("/admin/member/export/csv/")
    assert response.status_code == 403
    assert "Prénom" not in response.get_data(as_text=True)


def test_permissions_follow_the_user_not_the_view(app, everything, make_user):
    """Views are shared objects: a reader after an editor gets no editor rights."""
    from tests.conftest import login

    editor = make_user(role=Role.editor)
    reader = make_user(role=Role.reader)
    first, second = app.test_client(), app.test_client()
    login(first, editor.email)
    login(second, reader.email)
    assert first.get("/admin/member/new/").status_code == 200
    assert second.get("/admin/member/new/").status_code == 403
    assert first.get("/admin/member/new/").status_code == 200


def test_dashboard_and_home_need_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]
    response = client.get("/", follow_redirects=True)
    assert "Connexion" in response.get_data(as_text=True)


def test_account_screen_for_admins(admin_client, db):
    response = admin_client.get("/admin/account/")
    assert response.status_code == 200
    assert "Comptes" in response.get_data(as_text=True)


def test_bulk_delete_works_for_editor(app, editor_client, everything):
    """Bulk actions receive integer ids (PostgreSQL has no integer = text)."""
    from app.models import Measurement

    ids = list(_db.session.execute(sa.select(Measurement.id)).scalars())
    _db.session.rollback()
    response = editor_client.post(
        "/admin/measurement/action/",
        data={"action": "delete", "rowid": ids, "confirmed": "1"},
    )
    assert response.status_code == 302
    remaining = _db.session.execute(sa.select(sa.func.count(Measurement.id))).scalar()
    assert remaining == 0


def test_required_role_defaults(app):
    """Unknown endpoints: GET needs read, other methods write, *export* export."""
    view = _view(app, "member")
    with app.test_request_context("/", method="GET"):
        assert view.required_role("index_view") == Role.reader
        assert view.required_role("history_view") == Role.reader
        assert view.required_role("export_xlsx") == Role.editor
        assert view.required_role("edit_view") == Role.editor
    with app.test_request_context("/", method="POST"):
        assert view.required_role("some_new_endpoint") == Role.editor


def test_the_generated_check_detects_a_missing_rule(
    app, reader_client, everything, monkeypatch
):
    """Self-test: with the lecteur wrongly allowed to write, the check fails."""
    view = _view(app, "measurement")
    monkeypatch.setattr(view, "write_role", Role.reader)
    failures = _check(
        reader_client,
        app,
        {403},
        lambda rule, func, v: v is view and func == "delete_view",
    )
    assert ("POST", "/admin/measurement/delete/", 302) in failures
    assert ("contents changed", "", 0) in failures
