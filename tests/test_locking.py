"""Optimistic locking: a save based on a stale version never overwrites."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from app.models import Member
from tests.test_history import member_form


def seen_version(html: str) -> str:
    match = re.search(r'name="seen_version"[^>]*value="(\d+)"', html) or re.search(
        r'value="(\d+)"[^>]*name="seen_version"', html
    )
    assert match, "the edit form carries no version"
    return match.group(1)


@pytest.fixture
def two_clients(admin_client, monkeypatch):
    """Two people editing in their browsers, as two accounts.

    The pages keep no server-side state between GET and POST (the version seen
    travels in the form), so one logged-in client can play both browsers.
    """
    users = {
        "a": SimpleNamespace(id=1, email="alice@example.org", is_authenticated=True),
        "b": SimpleNamespace(id=2, email="bruno@example.org", is_authenticated=True),
    }
    current = {"who": "a"}
    monkeypatch.setattr(
        "app.history.actor._authenticated_user", lambda: users[current["who"]]
    )

    def as_(who, call, *args, **kwargs):
        current["who"] = who
        return call(*args, **kwargs)

    return admin_client, admin_client, as_


def test_second_save_is_refused_and_first_change_stays(db, make_member, two_clients):
    alice, bruno, as_ = two_clients
    member = make_member(first_name="Jean", last_name="Verger", town="Lorient")
    url = f"/admin/member/edit/?id={member.id}"
    seen_a = seen_version(as_("a", alice.get, url).get_data(as_text=True))
    seen_b = seen_version(as_("b", bruno.get, url).get_data(as_text=True))
    assert seen_a == seen_b == "1"

    first = as_(
        "a",
        alice.post,
        url,
        data=member_form(member, town="Lanester", seen_version=seen_a),
    )
    assert first.status_code == 302

    second = as_(
        "b",
        bruno.post,
        url,
        data=member_form(member, notes="Texte tapé par Bruno", seen_version=seen_b),
    )
    html = second.get_data(as_text=True)
    assert second.status_code == 200
    assert "Enregistrement refusé" in html
    assert "alice@example.org" in html
    assert "« Commune »" in html
    # What Bruno typed is still on screen.
    assert "Texte tapé par Bruno" in html
    db.session.expire_all()
    stored = db.session.get(Member, member.id)
    assert stored.town == "Lanester"
    assert stored.notes is None
    assert stored.version == 2


def test_inline_edit_with_stale_version_is_refused_on_same_field(
    app, db, make_member, two_clients
):
    alice, bruno, as_ = two_clients
    member = make_member(town="Lorient", notes="n")
    member.town = "Lanester"  # someone else's change: version 2
    db.session.commit()
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "member")
    view.column_editable_list = ["town", "notes"]
    view._refresh_cache()
    try:
        same = as_(
            "b",
            bruno.post,
            "/admin/member/ajax/update/",
            data={"list_form_pk": f"{member.id}~1", "town": "Quéven"},
        )
        other = as_(
            "b",
            bruno.post,
            "/admin/member/ajax/update/",
            data={"list_form_pk": f"{member.id}~1", "notes": "note de Bruno"},
        )
    finally:
        view.column_editable_list = None
        view._refresh_cache()
    assert same.status_code == 400  # refused: a client-side conflict, not a crash
    assert "Enregistrement refusé" in same.get_data(as_text=True)
    # A different field does not overwrite the other change: accepted.
    assert other.status_code == 200, other.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Member, member.id)
    assert (stored.town, stored.notes) == ("Lanester", "note de Bruno")


def test_delete_with_stale_version_is_refused(db, admin_client):
    from app.models import College

    college = College(name="Citoyens", position=1)
    db.session.add(college)
    db.session.commit()
    page = admin_client.get(f"/admin/college/delete/confirm/?id={college.id}")
    version = seen_version(page.get_data(as_text=True))
    college.position = 5
    db.session.commit()
    response = admin_client.post(
        "/admin/college/delete/",
        data={"id": college.id, "seen_version": version, "url": "/admin/college/"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Suppression refusée" in html, re.findall(r"alert[^>]*>(.*?)<", html, re.S)
    assert db.session.get(College, college.id) is not None


def test_delete_without_confirmation_goes_to_confirmation(db, admin_client):
    from app.models import College

    college = College(name="Citoyens", position=1)
    db.session.add(college)
    db.session.commit()
    response = admin_client.post("/admin/college/delete/", data={"id": college.id})
    assert response.status_code == 302
    assert "/delete/confirm/" in response.headers["Location"]
    assert db.session.get(College, college.id) is not None


def test_database_refuses_update_from_stale_row(db, make_member):
    """The version check is also in the UPDATE itself (two sessions, same row)."""
    from sqlalchemy.orm import Session

    member_id = make_member(town="Lorient").id
    db.session.rollback()  # on SQLite every transaction holds the write lock
    with Session(db.engine, expire_on_commit=False) as other:
        stale = other.get(Member, member_id)
        other.commit()  # ends its transaction, keeps the row as read
        db.session.get(Member, member_id).town = "Lanester"
        db.session.commit()
        stale.town = "Quéven"
        with pytest.raises(StaleDataError):
            other.commit()
        other.rollback()
    db.session.expire_all()
    stored = db.session.execute(
        sa.select(Member.town).where(Member.id == member_id)
    ).scalar_one()
    assert stored == "Lanester"


def test_inline_edit_twice_on_same_row_by_same_person(
    app, db, make_member, two_clients
):
    """The list keeps the version it was drawn with; one's own edit is no conflict."""
    _, bruno, as_ = two_clients
    member = make_member(town="Lorient")
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "member")
    view.column_editable_list = ["town"]
    view._refresh_cache()
    try:
        responses = [
            as_(
                "b",
                bruno.post,
                "/admin/member/ajax/update/",
                data={"list_form_pk": f"{member.id}~1", "town": town},
            )
            for town in ("Quéven", "Larmor-Plage")
        ]
    finally:
        view.column_editable_list = None
        view._refresh_cache()
    assert [r.status_code for r in responses] == [200, 200]
    db.session.expire_all()
    assert db.session.get(Member, member.id).town == "Larmor-Plage"
