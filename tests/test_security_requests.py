"""CSRF on every write, redirect targets, CR/LF and malformed input."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.models import Member
from app.models.accounts import User
from tests.conftest import TEST_PASSWORD, login
from tests.test_security_access import snapshot

NEW_PASSWORD = "un tout autre secret bien long 77"


@pytest.fixture
def csrf_on(app):
    """CSRF checks as in production (the shared test config turns them off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token in page"
    return match.group(1)


def _first_member_id() -> int:
    pk = _db.session.execute(sa.select(Member.id).order_by(Member.id)).scalar()
    _db.session.rollback()
    return pk


# ----- CSRF -----------------------------------------------------------------------


def _inline_pk(pk: int) -> str:
    """The row key the editable list sends: id and version seen."""
    version = _db.session.execute(sa.select(Member.version).where(Member.id == pk))
    pk_version = f"{pk}~{version.scalar_one()}"
    _db.session.rollback()
    return pk_version


def _write_requests(pk: int, user_id: int):
    return {
        "create": ("/admin/member/new/", {"first_name": "A", "last_name": "B"}),
        "edit": (f"/admin/member/edit/?id={pk}", {"first_name": "A", "last_name": "B"}),
        "delete": ("/admin/member/delete/", {"id": pk}),
        "bulk action": (
            "/admin/member/action/",
            {"action": "delete", "rowid": [pk]},
        ),
        "inline edit": (
            "/admin/member/ajax/update/",
            {"list_form_pk": _inline_pk(pk), "town": "Changé"},
        ),
        "account create": (
            "/admin/account/new/",
            {"email": "x@example.org", "role": "admin", "new_password": NEW_PASSWORD},
        ),
        "password change": (
            "/mot-de-passe",
            {
                "current_password": TEST_PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
        ),
        "logout": ("/deconnexion", {}),
    }


def test_csrf_refused_for_each_write(app, admin_client, demo, csrf_on, town_editable):
    """Create, edit, delete, bulk action, inline edit, account creation,
    password change and logout: 400 without a token."""
    pk = _first_member_id()
    requests = _write_requests(pk, admin_client.user.id)
    assert len(requests) == 8
    town = _db.session.get(Member, pk).town
    _db.session.rollback()
    for kind, (url, data) in requests.items():
        before = snapshot()
        response = admin_client.post(url, data=data)
        assert response.status_code == 400, (kind, response.status_code)
        assert "jeton de sécurité" in unescape(response.get_data(as_text=True))
        assert snapshot() == before, kind
        # still logged in: the refused logout did not log out either
        assert admin_client.get("/admin/").status_code == 200, kind
    assert _db.session.get(Member, pk).town == town != "Changé"


def test_csrf_wrong_token_refused(app, admin_client, demo, csrf_on):
    pk = _first_member_id()
    before = snapshot()
    response = admin_client.post(
        "/admin/member/delete/", data={"id": pk, "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_csrf_refused_for_login_and_setup(app, client, make_user, csrf_on):
    user = make_user()
    response = login(client, user.email)
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302
    response = client.get("/connexion")
    token = _token(response.get_data(as_text=True))
    response = client.post(
        "/connexion",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_csrf_setup_page(app, client, db, csrf_on):
    from app.auth.setup import setup_token

    response = client.post(
        "/installation",
        data={
            "token": setup_token(app),
            "email": "a@example.org",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert _db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0


def test_csrf_token_in_pages_lets_the_delete_through(app, admin_client, demo, csrf_on):
    """Control: the token the list page renders is accepted."""
    html = admin_client.get("/admin/college/").get_data(as_text=True)
    token = _token(html)
    from app.models import College

    college = College(name="Collège à supprimer")
    _db.session.add(college)
    _db.session.commit()
    pk = college.id
    response = admin_client.post(
        "/admin/college/delete/",
        data={"id": pk, "csrf_token": token, "seen_version": college.version},
    )
    assert response.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(College, pk) is None


def test_csrf_token_lets_the_inline_edit_through(
    app, admin_client, demo, csrf_on, town_editable
):
    """Control: the refused inline edit above is a real edit, refused by CSRF only."""
    pk = _first_member_id()
    token = _token(admin_client.get("/admin/member/").get_data(as_text=True))
    url, data = _write_requests(pk, admin_client.user.id)["inline edit"]
    response = admin_client.post(url, data={**data, "csrf_token": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Member, pk).town == "Changé"


# ----- redirects ------------------------------------------------------------------

EVIL = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "\\\\evil.example",
    "http:evil.example",
    " //evil.example",
    "/%5Cevil.example",
    "http://localhost@evil.example/",
    "https:/evil.example",
    "http:/\\evil.example",
]


def _stays_on_site(response) -> bool:
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers["Location"]
        return "evil" not in location and not location.startswith("javascript")
    return response.status_code in (200, 400)


def test_login_next_stays_on_site(app, client, make_user):
    user = make_user()
    for target in EVIL:
        response = client.get("/connexion", query_string={"next": target})
        assert _stays_on_site(response), target
        response = client.post(
            "/connexion",
            query_string={"next": target},
            data={"email": user.email, "password": TEST_PASSWORD},
        )
        assert _stays_on_site(response), target
        client.post("/deconnexion")


def test_admin_url_param_stays_on_site(app, admin_client, demo):
    pk = _first_member_id()
    for target in EVIL:
        for response in (
            admin_client.get("/admin/member/export/xyz/", query_string={"url": target}),
            admin_client.get("/admin/member/new/", query_string={"url": target}),
            admin_client.post(
                "/admin/member/edit/",
                query_string={"id": pk, "url": target},
                data={"first_name": "A", "last_name": "B"},
            ),
            admin_client.post(
                "/admin/member/delete/", data={"id": 999999, "url": target}
            ),
        ):
            assert _stays_on_site(response), (target, response.status_code)


def test_same_site_absolute_url_is_accepted(app, admin_client, demo):
    response = admin_client.get(
        "/admin/member/export/xyz/", query_string={"url": "http://localhost/admin/"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost/admin/"
    response = admin_client.get(
        "/admin/member/export/xyz/",
        query_string={"url": "http://localhost.evil.example/admin/"},
    )
    assert response.status_code == 400


def test_local_next_is_followed(app, client, make_user):
    user = make_user()
    response = client.post(
        "/connexion",
        query_string={"next": "/admin/member/?page=1"},
        data={"email": user.email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/member/?page=1")


def test_anonymous_is_sent_to_login_with_next(client, db):
    response = client.get("/admin/member/?page=1")
    assert response.status_code == 302
    assert "/connexion?next=" in response.headers["Location"]


CRLF_QUERIES = [
    "next=/admin/%0d%0aSet-Cookie:%20x=1",
    "next=/admin/%0aX:%20y",
    "url=/admin/%0d%0aLocation:%20//evil.example",
    "url=%0d%0a",
    "url=/admin/%0d",
]


def test_crlf_in_redirect_params_is_400(app, admin_client, demo):
    from urllib.parse import unquote

    for query in CRLF_QUERIES:
        for path in ("/connexion", "/admin/member/new/", "/admin/member/export/xyz/"):
            response = admin_client.get(f"{path}?{query}")
            assert response.status_code == 400, (query, path, response.status_code)
            assert "\n" not in response.headers.get("Location", "")
        response = admin_client.post(
            f"/admin/member/delete/?{query}", data={"id": 999999}
        )
        assert response.status_code == 400, query
        name, _, value = query.partition("=")
        response = admin_client.post(
            "/admin/member/delete/", data={"id": 999999, name: unquote(value)}
        )
        assert response.status_code == 400, query


# ----- malformed input --------------------------------------------------------------

MALFORMED = [
    "id=abc",
    "id=",
    "id=99999999999999999999999",
    "id=-1",
    "id=1.5",
    "id=%00",
    "sort=abc",
    "sort=999",
    "sort=-1",
    "desc=abc",
    "page=-1",
    "page=abc",
    "page=99999999999",
    "page_size=0",
    "page_size=-5",
    "page_size=abc",
    "page_size=1000000",
    "search=%00",
    "search=%27%22%25",
    "flt0_0=abc",
    "flt1_99=x",
    "flt0_name_equals=%00",
]
PATHS = [
    "/admin/member/",
    "/admin/member/details/",
    "/admin/member/edit/",
    "/admin/member/export/csv/",
    "/admin/member/ajax/lookup/?name=organisation&query=x",
    "/admin/meeting/",
    "/admin/account/",
    "/admin/account/edit/",
]


def test_malformed_parameters_never_500(app, admin_client, demo):
    failures = []
    for path in PATHS:
        for query in MALFORMED:
            sep = "&" if "?" in path else "?"
            response = admin_client.get(path + sep + query)
            response.get_data()
            if response.status_code >= 500:
                failures.append((path, query, response.status_code))
    for bad in ["abc", "", "99999999999999999999999", "\x00", "-1"]:
        for url, data in (
            ("/admin/member/delete/", {"id": bad}),
            ("/admin/member/action/", {"action": "delete", "rowid": [bad]}),
            ("/admin/member/ajax/update/", {"list_form_pk": bad, "last_name": "x"}),
            (f"/admin/member/edit/?id={bad}", {"first_name": "x"}),
        ):
            response = admin_client.post(url, data=data)
            if response.status_code >= 500:
                failures.append((url, bad, response.status_code))
    assert failures == []


def test_unknown_id_is_not_found(admin_client, demo):
    response = admin_client.get("/admin/member/details/?id=abc", follow_redirects=True)
    assert response.status_code in (200, 404)
    assert "Traceback" not in response.get_data(as_text=True)
