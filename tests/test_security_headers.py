"""Security headers, cookies, error pages, SECRET_KEY checks, CSP helper script."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from app import ConfigurationError, create_app
from app.extensions import db as _db
from app.models import Member
from tests.conftest import TEST_PASSWORD, base_config, login


def _first_member_id() -> int:
    pk = _db.session.execute(sa.select(Member.id).order_by(Member.id)).scalar()
    _db.session.rollback()
    return pk


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
        urls = [f"/admin/{view.endpoint}/"]
        if type(view).can_create:
            urls.append(f"/admin/{view.endpoint}/new/")
        for url in urls:
            html = admin_client.get(url).get_data(as_text=True)
            assert "cdpl-csp.js" in html, url
            # Renamed so the browser never compiles them (app/web.py).
            assert ' onclick="' not in html, url
            handlers.update(
                unescape(h) for h in re.findall(r'data-cdpl-onclick="([^"]*)"', html)
            )
    assert handlers  # delete buttons at least
    for code in handlers:
        assert any(re.fullmatch(shape, code.strip()) for shape in HANDLER_SHAPES), code
