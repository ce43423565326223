"""CSRF, redirects, malformed input, headers, error pages and SECRET_KEY checks."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from app import ConfigurationError, create_app
from app.extensions import db as _db
from app.models import Member
from app.models.accounts import User
from tests.conftest import TEST_PASSWORD, base_config, login
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
            {"list_form_pk": pk, "last_name": "Changé"},
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
        "language": ("/langue", {"lang": "en"}),
        "logout": ("/deconnexion", {}),
    }


def test_csrf_refused_for_each_write(app, admin_client, demo, csrf_on):
    """Create, edit, delete, bulk action, inline edit, account creation,
    password change, language switch and logout: 400 without a token."""
    pk = _first_member_id()
    requests = _write_requests(pk, admin_client.user.id)
    assert len(requests) == 9
    for kind, (url, data) in requests.items():
        before = snapshot()
        response = admin_client.post(url, data=data)
        assert response.status_code == 400, (kind, response.status_code)
        assert "jeton de sécurité" in unescape(response.get_data(as_text=True))
        assert snapshot() == before, kind
        # still logged in: the refused logout did not log out either
        assert admin_client.get("/admin/").status_code == 200, kind


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
    from app.models import Measurement

    html = admin_client.get("/admin/college/").get_data(as_text=True)
    token = _token(html)
    from app.models import College

    college = College(name="Collège à supprimer")
    _db.session.add(college)
    _db.session.commit()
    pk = college.id
    response = admin_client.post(
        "/admin/college/delete/", data={"id": pk, "csrf_token": token}
    )
    assert response.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(College, pk) is None
    assert Measurement  # imported to keep the models registered


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


# ----- headers --------------------------------------------------------------------

EVERY_RESPONSE = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _check_headers(response, private=True):
    for name, value in EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("style-src-attr")[0]
    assert "'unsafe-eval'" not in csp
    assert not re.search(r"https?:|//", csp), "third-party source in CSP"
    if private:
        assert response.headers["Cache-Control"] == "no-store"


def test_headers_on_every_kind_of_response(app, client, admin_client, demo):
    pk = _first_member_id()
    responses = {
        "login": client.get("/connexion"),
        "anonymous redirect": client.get("/admin/"),
        "dashboard": admin_client.get("/admin/"),
        "list": admin_client.get("/admin/member/"),
        "details": admin_client.get(f"/admin/member/details/?id={pk}"),
        "export": admin_client.get("/admin/member/export/csv/"),
        "404": admin_client.get("/nulle-part"),
        "403": app.test_client().post("/admin/member/delete/", data={"id": pk}),
        "400": admin_client.get("/connexion?next=//evil.example"),
        "405": admin_client.get("/deconnexion"),
    }
    for name, response in responses.items():
        response.get_data()
        try:
            _check_headers(response)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from exc
    assert "Strict-Transport-Security" not in responses["login"].headers


def test_static_files_keep_security_headers_but_may_be_cached(client, db):
    response = client.get("/static/cdpl.css")
    assert response.status_code == 200
    _check_headers(response, private=False)
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_csp_nonce_matches_inline_scripts(admin_client, demo):
    response = admin_client.get("/admin/member/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    html = response.get_data(as_text=True)
    assert nonce
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts
    for tag in scripts:
        assert f'nonce="{nonce.group(1)}"' in tag, tag
    assert "https://" not in "".join(re.findall(r'(?:src|href)="[^"]*"', html))


def test_https_gets_hsts_and_secure_cookie(app, make_user):
    user = make_user()
    client = app.test_client()
    response = client.post(
        "/connexion",
        data={"email": user.email, "password": TEST_PASSWORD},
        base_url="https://localhost",
    )
    assert response.status_code == 302
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_http_cookie_flags(app, make_user):
    user = make_user()
    response = login(app.test_client(), user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


# ----- error pages ------------------------------------------------------------------


def test_french_error_pages(app, client, reader_client, demo):
    page = reader_client.get("/nulle-part")
    assert page.status_code == 404
    assert "Page introuvable" in page.get_data(as_text=True)
    page = reader_client.get("/admin/member/new/")
    assert page.status_code == 403
    assert "Accès refusé" in unescape(page.get_data(as_text=True))


def test_500_page_hides_exception_text(tmp_path, caplog):
    application = create_app(
        base_config(tmp_path, SQLALCHEMY_DATABASE_URI="sqlite://", AUTO_MIGRATE=False)
    )

    @application.get("/boum")
    def boom():
        raise RuntimeError("détail secret de l'exception")

    response = application.test_client().get("/boum")
    text = unescape(response.get_data(as_text=True))
    assert response.status_code == 500
    assert "Erreur interne" in text
    assert "détail secret" not in text
    assert "Traceback" not in text
    assert "détail secret de l'exception" in caplog.text  # details go to the log
    with application.app_context():
        _db.engine.dispose()


def test_admin_exception_not_flashed(app, admin_client, demo, monkeypatch):
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "college")

    def fail(form):
        raise RuntimeError("texte interne de la base")

    monkeypatch.setattr(view, "create_model", fail)
    response = admin_client.post(
        "/admin/college/new/", data={"name": "Nouveau"}, follow_redirects=True
    )
    text = unescape(response.get_data(as_text=True))
    assert response.status_code in (200, 500)
    assert "texte interne de la base" not in text


def test_security_log_survives_startup_logging_config(app):
    import logging

    assert logging.getLogger("cdpl.security").getEffectiveLevel() <= logging.INFO


# ----- SECRET_KEY and production start ------------------------------------------------


@pytest.mark.parametrize(
    "key", [None, "", "change-me", "changeme", "secret", "trop-courte-1234"]
)
def test_production_refuses_bad_secret_key(tmp_path, monkeypatch, key):
    monkeypatch.setenv("CDPL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = base_config(
        tmp_path, SQLALCHEMY_DATABASE_URI="sqlite://", AUTO_MIGRATE=False
    )
    config.pop("SECRET_KEY")
    if key is not None:
        config["SECRET_KEY"] = key
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app(config)


def test_production_accepts_long_key_and_disables_debug(tmp_path, monkeypatch):
    monkeypatch.setenv("CDPL_ENV", "production")
    config = base_config(
        tmp_path,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        AUTO_MIGRATE=False,
        DEBUG=True,
        SECRET_KEY="k" * 48,
    )
    application = create_app(config)
    assert application.debug is False
    assert application.config["PRODUCTION"] is True


def test_local_secret_key_generated_once(tmp_path):
    from app.config import local_secret_key

    first = local_secret_key(str(tmp_path))
    assert len(first) >= 32
    assert local_secret_key(str(tmp_path)) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


HANDLER_SHAPES = [
    r"return faHelpers\.safeConfirm\('[\s\S]*'\);?",
    r"return modelActions\.execute\('[^']*'\);?",
    r"faForm\.addInlineField\(this, '[^']*'\);?",
    r"return false;?",
]


def test_inline_handlers_are_all_replaced_by_the_csp_script(
    app, admin_client, full_data
):
    """The CSP blocks inline handlers; cdpl-csp.js knows every shape in use."""
    from app.admin import model_views

    handlers = set()
    for view in model_views(app.extensions["admin"][0]):
        for url in (f"/admin/{view.endpoint}/", f"/admin/{view.endpoint}/new/"):
            html = admin_client.get(url).get_data(as_text=True)
            assert "cdpl-csp.js" in html, url
            handlers.update(unescape(h) for h in re.findall(r'onclick="([^"]*)"', html))
    assert handlers  # delete buttons at least
    for code in handlers:
        assert any(re.fullmatch(shape, code.strip()) for shape in HANDLER_SHAPES), code
