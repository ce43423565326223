"""Restore and picker searches stay within the role's and the account's reach.

Generated from the URL map like tests/test_security_access.py: every restore rule
and every picker (``ajax/lookup``) of every view is tried by each role.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.models import CalendarToken, ChangeLog
from app.models.accounts import Role
from app.models.history import ChangeKind
from tests.test_security_access import admin_rules, snapshot

#: Screens where every account manages its own records (lecteur included).
PERSONAL_VIEWS = {"calendar_token"}


@pytest.fixture
def everything(full_data, make_user):
    make_user(role=Role.admin, email="autre.admin@example.org")
    return full_data


def _clients(admin_client, editor_client, reader_client):
    return {
        Role.admin: admin_client,
        Role.editor: editor_client,
        Role.reader: reader_client,
    }


def _rules(app, func):
    return [(rule, url, view) for rule, f, url, view in admin_rules(app) if f == func]


def _may_edit(role: Role, user_id: int, view, entry: ChangeLog) -> bool:
    """The rule the restore must follow: edit rights on that very record."""
    if not role.at_least(view.write_role) or not getattr(
        type(view), "_static_can_edit", True
    ):
        return False
    if view.endpoint in PERSONAL_VIEWS and role != Role.admin:
        return (entry.snapshot or {}).get("user_id") == user_id
    return True


def _revoked_admin_token(admin_client) -> CalendarToken:
    """An administrator's token, then revoked: its first history entry is the
    token still valid, the entry a restore would bring back."""
    admin_client.post("/admin/calendar_token/new/", data={"label": "Agenda admin"})
    _db.session.rollback()
    token = _db.session.execute(
        sa.select(CalendarToken).where(CalendarToken.label == "Agenda admin")
    ).scalar_one()
    response = admin_client.post(
        f"/admin/calendar_token/edit/?id={token.id}",
        data={"label": "Agenda admin", "revoke": "y"},
    )
    assert response.status_code == 302
    _db.session.rollback()
    token = _db.session.get(CalendarToken, token.id)
    assert token.revoked_at is not None
    return token


def _first_entry(table: str, record_id: int) -> ChangeLog:
    entry = _db.session.execute(
        sa.select(ChangeLog)
        .where(ChangeLog.record_type == table, ChangeLog.record_id == record_id)
        .order_by(ChangeLog.id)
    ).scalar()
    _db.session.rollback()
    return entry


def test_reader_cannot_restore_another_accounts_token(
    app, admin_client, reader_client, everything
):
    """Finding 3: the lecteur re-activated a revoked token that was not theirs."""
    token = _revoked_admin_token(admin_client)
    entry = _first_entry("calendar_token", token.id)
    before = snapshot()
    response = reader_client.post(
        "/admin/calendar_token/history/restore/", data={"entry": entry.id}
    )
    assert response.status_code == 404
    assert snapshot() == before
    # Nor can the lecteur read that token's history.
    assert (
        reader_client.get(f"/admin/calendar_token/history/?id={token.id}").status_code
        == 404
    )


def test_owner_restores_own_token(app, reader_client, everything):
    """Control: the same restore on one's own token does bring it back."""
    reader_client.post("/admin/calendar_token/new/", data={"label": "Agenda lecteur"})
    _db.session.rollback()
    token = _db.session.execute(
        sa.select(CalendarToken).where(CalendarToken.label == "Agenda lecteur")
    ).scalar_one()
    reader_client.post(
        f"/admin/calendar_token/edit/?id={token.id}",
        data={"label": "Agenda lecteur", "revoke": "y"},
    )
    entry = _first_entry("calendar_token", token.id)
    response = reader_client.post(
        "/admin/calendar_token/history/restore/", data={"entry": entry.id}
    )
    assert response.status_code == 302
    _db.session.rollback()
    assert _db.session.get(CalendarToken, token.id).revoked_at is None


def test_restore_of_a_deleted_token_stays_with_its_owner(
    app, admin_client, reader_client, everything
):
    token = _revoked_admin_token(admin_client)
    response = admin_client.post(
        f"/admin/calendar_token/delete/?id={token.id}",
        data={"id": token.id},
    )
    assert response.status_code == 302
    _db.session.rollback()
    deleted = _db.session.execute(
        sa.select(ChangeLog).where(
            ChangeLog.record_type == "calendar_token",
            ChangeLog.record_id == token.id,
            ChangeLog.kind == ChangeKind.delete,
        )
    ).scalar_one()
    _db.session.rollback()
    assert (
        reader_client.get(f"/admin/calendar_token/history/?id={token.id}").status_code
        == 404
    )
    response = reader_client.post(
        "/admin/calendar_token/history/restore/", data={"entry": deleted.id}
    )
    assert response.status_code == 404
    assert _db.session.get(CalendarToken, token.id) is None


@pytest.mark.parametrize("role", [Role.reader, Role.editor])
def test_restore_needs_edit_rights_on_that_record_everywhere(
    app, role, admin_client, editor_client, reader_client, everything
):
    """Every restore rule, with every view's entries: refused unless the role may
    edit that very record; nothing changes."""
    _revoked_admin_token(admin_client)
    client = _clients(admin_client, editor_client, reader_client)[role]
    rules = _rules(app, "restore_view")
    assert len(rules) >= 15
    start = snapshot()
    failures = []
    tried = 0
    for _rule, url, view in rules:
        entries = (
            _db.session.execute(
                sa.select(ChangeLog)
                .where(ChangeLog.record_type == view.model.__tablename__)
                .order_by(ChangeLog.id)
                .limit(3)
            )
            .scalars()
            .all()
        )
        _db.session.rollback()
        for entry in entries:
            if _may_edit(role, client.user.id, view, entry):
                continue
            tried += 1
            response = client.post(url, data={"entry": entry.id})
            if response.status_code not in (403, 404):
                failures.append((url, entry.id, response.status_code))
    # The éditeur may edit everything but the accounts and others' tokens.
    assert tried >= (10 if role == Role.reader else 3)
    assert failures == []
    assert snapshot() == start


@pytest.mark.parametrize("role", [Role.reader, Role.editor, Role.admin])
def test_lookups_answer_only_what_the_role_may_see(
    app, role, admin_client, editor_client, reader_client, everything
):
    """Every picker of every view: answered only to a role that may fill the
    view's forms and read the picked records' own screen."""
    client = _clients(admin_client, editor_client, reader_client)[role]
    admin = app.extensions["admin"][0]
    failures = []
    answered = 0
    for _rule, url, view in _rules(app, "ajax_lookup"):
        for name, loader in (view._form_ajax_refs or {}).items():
            readers = [
                v.read_role
                for v in admin._views
                if getattr(v, "model", None) is loader.model
            ]
            allowed = role.at_least(view.write_role) and any(
                role.at_least(r) for r in readers
            )
            response = client.get(f"{url}?name={name}&query=&limit=100000")
            if allowed:
                ok = response.status_code == 200 and len(response.get_json()) <= 50
                answered += 1
            else:
                ok = response.status_code in (403, 404) and not (
                    response.is_json and response.get_json()
                )
            if not ok:
                failures.append((url, name, response.status_code))
    assert failures == []
    if role != Role.reader:
        assert answered >= 10


def test_reader_cannot_list_staff_accounts(app, reader_client, everything):
    """Finding 4: the calendar-token picker of ``user`` listed every account."""
    response = reader_client.get(
        "/admin/calendar_token/ajax/lookup/?name=user&query=example"
    )
    assert response.status_code in (403, 404)
    assert "example.org" not in response.get_data(as_text=True)


@pytest.mark.parametrize("offset", ["-5", "99999999999", "abc"])
def test_lookup_odd_paging_is_no_error(admin_client, everything, offset):
    response = admin_client.get(
        f"/admin/action/ajax/lookup/?name=owner&query=&offset={offset}&limit=-3"
    )
    assert response.status_code == 200
