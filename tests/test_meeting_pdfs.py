"""PDF compte rendu and feuille d'émargement, read back with pypdf."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.meetings.pdf import BASE_URL, static_fetcher
from app.models import (
    Attendance,
    AttendanceStatus,
    College,
    Meeting,
    Member,
    Membership,
    Organisation,
    OrganisationKind,
    WorkingGroup,
)

PARIS = ZoneInfo("Europe/Paris")


def _pdf(response) -> PdfReader:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(response.data))


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def _fonts(reader: PdfReader) -> list:
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            if descendants:
                font = descendants[0].get_object()
            fonts.append(font["/FontDescriptor"].get_object())
    return fonts


@pytest.fixture
def demo_meeting(demo):
    return demo.session.execute(
        sa.select(Meeting).where(Meeting.exchanges.is_not(None))
    ).scalar_one()


def test_report_pdf_prints_the_page_in_order_with_letterhead(
    app, admin_client, demo_meeting
):
    page = admin_client.get(f"/admin/meeting/report/?id={demo_meeting.id}")
    assert f"/admin/meeting/report/pdf/?id={demo_meeting.id}" in page.get_data(
        as_text=True
    )
    reader = _pdf(admin_client.get(f"/admin/meeting/report/pdf/?id={demo_meeting.id}"))
    text = " ".join(_text(reader).split())
    sections = [
        "Participants",
        "Éléments de contexte, déroulement et décisions",
        "Échanges et informations",
        "Décisions",
        "Actions à venir",
        "Prochaine réunion",
    ]
    positions = [text.index(s) for s in sections]
    assert positions == sorted(positions)
    assert "Eric Soudy" in text and "logiciels libres" in text
    # Screen-only parts (tabs, buttons) are not printed.
    assert "Télécharger" not in text and "Saisie du compte rendu" not in text
    # Letterhead and "Page n / N" on every page.
    for number, pdf_page in enumerate(reader.pages, start=1):
        page_text = " ".join(pdf_page.extract_text().split())
        assert app.config["ORG_NAME"] in page_text
        assert f"Page {number} / {len(reader.pages)}" in page_text
    # Fonts are embedded (a file for each font, not a name the reader substitutes).
    fonts = _fonts(reader)
    assert fonts and all(
        any(k in f for k in ("/FontFile", "/FontFile2", "/FontFile3")) for f in fonts
    )
    assert any("Liberation" in str(f["/FontName"]) for f in fonts)


def test_pdf_fetcher_serves_static_files_only(app):
    fetch = static_fetcher(app.static_folder)
    assert b".minutes-report" in fetch(f"{BASE_URL}static/minutes.css")["string"]
    for url in (
        "http://evil.example/x.css",
        "file:///etc/passwd",
        f"{BASE_URL}static/../__init__.py",
        f"{BASE_URL}admin/",
    ):
        with pytest.raises(ValueError):
            fetch(url)


@pytest.fixture
def big_group(db):
    group = WorkingGroup(name="Mobilités")
    college = College(name="Citoyens")
    org = Organisation(name="Vélo Lorient", kind=OrganisationKind.association)
    meeting = Meeting(
        group=group,
        starts_at=datetime(2024, 3, 5, 18, 0, tzinfo=PARIS),
        ends_at=datetime(2024, 3, 5, 20, 0, tzinfo=PARIS),
        place="Maison des associations",
    )
    db.session.add(meeting)
    names = [f"Membre{n:02d}" for n in range(29, 0, -1)]  # unsorted on purpose
    for name in names:
        member = Member(
            first_name="Anne-Sophie",
            last_name=f"Le Berre-{name}",
            college=college,
            organisation=org,
        )
        db.session.add(Membership(member=member, group=group))
    guest = Member(first_name="Zoé", last_name="Invitée")
    db.session.add(
        Attendance(
            meeting=meeting, member=guest, status=AttendanceStatus.present, guest=True
        )
    )
    gone = Member(first_name="Parti", last_name="Ancien")
    db.session.add(
        Membership(member=gone, group=group, until=datetime(2023, 1, 1).date())
    )
    db.session.commit()
    return meeting


def test_signin_sheet_lists_the_roster_sorted_on_one_page(app, admin_client, big_group):
    page = admin_client.get(f"/admin/meeting/attendance/?id={big_group.id}")
    assert f"/admin/meeting/emargement/?id={big_group.id}" in page.get_data(
        as_text=True
    )
    response = admin_client.get(f"/admin/meeting/emargement/?id={big_group.id}")
    reader = _pdf(response)
    assert len(reader.pages) == 1  # 30 people fit one A4 page
    text = " ".join(_text(reader).split())
    for needle in (
        "Feuille d'émargement",
        app.config["ORG_NAME"],
        "Mobilités",
        "mardi 5 mars 2024",
        "18h00",
        "Maison des associations",
        "Signature",
        "Citoyens / Vélo Lorient",
    ):
        assert needle in text, needle
    names = [f"Le Berre-Membre{n:02d}" for n in range(1, 30)]
    positions = [text.index(n) for n in names]
    assert positions == sorted(positions)
    assert "Invitée Zoé" in text  # a guest already added signs too
    assert "Ancien" not in text  # left the group before the meeting
    assert 'filename="emargement-reunion-' in response.headers["Content-Disposition"]
