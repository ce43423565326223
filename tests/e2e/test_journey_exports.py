"""Exports and imports: "CSV pour Excel" read back, an import fixed after an error.

These journeys wait for the exports/imports work (issue 6): each one probes
the served app and is skipped, with the reason, until what it needs exists.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from tests.e2e.helpers import (
    assert_accessible,
    require_route,
    url_for_endpoint,
)


def _member_view(e2e_app):
    admin = e2e_app.extensions["admin"][0]
    return next(v for v in admin._views if getattr(v, "endpoint", "") == "member")


def _audit_rows(session) -> int | None:
    """Rows of the transfer log, when the app keeps one."""
    try:
        from app.models.audit import DataTransfer
    except ImportError:
        return None
    return session.scalar(sa.select(sa.func.count()).select_from(DataTransfer))


def test_export_members_as_csv_for_excel(page, e2e_db, e2e_app):
    if "csv-excel" not in (_member_view(e2e_app).export_types or ()):
        pytest.fail("needs the « CSV pour Excel » export (issue 6)")
    from app.models import Member

    with e2e_db.session() as session:
        session.add_all(
            [
                Member(first_name="Solenn", last_name="Bréhaut", town="Lorient"),
                Member(first_name="Jacques", last_name="Cougoulat", town="Lanester"),
            ]
        )
        session.commit()
        before = _audit_rows(session)

    page.goto("/admin/member/")
    # The menu's wording is Flask-Admin's ("Export"/"Exporter" by catalogue).
    page.get_by_role("button", name=re.compile(r"^Export")).click()
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(r"CSV pour Excel$")).click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    raw = download.path().read_bytes()
    # Excel (French locale) needs the BOM to read UTF-8, and ";" between cells.
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert "Nom" in header and "Prénom" in header
    names = {row[header.index("Nom")] for row in body}
    assert names == {"Bréhaut", "Cougoulat"}
    with e2e_db.session() as session:
        after = _audit_rows(session)
    if before is not None:
        assert after == before + 1


MEMBERS_WITH_ERROR = (
    "Nom;Prénom;Courriel\r\n"
    "Soudy;Eric;eric.soudy@example.org\r\n"
    "Fraillon;;pas-un-courriel\r\n"
)
MEMBERS_FIXED = (
    "Nom;Prénom;Courriel\r\n"
    "Soudy;Eric;eric.soudy@example.org\r\n"
    "Fraillon;Serge;serge.fraillon@example.org\r\n"
)


def _upload(page, upload_path: str, content: str) -> None:
    page.goto(upload_path)
    page.get_by_label("Données à importer").select_option("membres")
    page.get_by_label("Fichier", exact=True).set_input_files(
        {
            "name": "membres.csv",
            "mimeType": "text/csv",
            "buffer": content.encode("utf-8"),
        }
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer et vérifier").click()
    # The analysis runs in a job: its page reloads itself, then leads on.
    page.wait_for_url(re.compile(r"/admin/imports/[A-Za-z0-9_-]{20,}/$"))


def test_import_csv_with_a_bad_row_then_fixed(page, e2e_db):
    require_route(e2e_db, r"/imports/$|/importer", "the import pages (issue 6)")
    from app.models import Member

    upload_path = url_for_endpoint(e2e_db, "imports.index")
    _upload(page, upload_path, MEMBERS_WITH_ERROR)
    alert = page.get_by_role("alert")
    assert "erreur" in alert.inner_text()
    assert page.locator("tr.table-danger").count() == 1
    assert "Fraillon" in page.locator("tr.table-danger").inner_text()
    assert page.get_by_role("button", name="Confirmer l'import").count() == 0
    assert_accessible(page, "aperçu d'import avec erreur")
    with e2e_db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Member)) == 0

    _upload(page, upload_path, MEMBERS_FIXED)
    assert page.locator("tr.table-danger").count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer l'import").click()
    page.wait_for_url(re.compile(r"/admin/member/"))  # after the job's page
    assert page.locator(".alert-success").count() == 1
    with e2e_db.session() as session:
        members = {
            (m.last_name, m.first_name, m.email)
            for m in session.execute(sa.select(Member)).scalars()
        }
    assert members == {
        ("Soudy", "Eric", "eric.soudy@example.org"),
        ("Fraillon", "Serge", "serge.fraillon@example.org"),
    }
