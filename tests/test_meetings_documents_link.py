"""The shared-documents link by its name ("Google Drive partagé") and address:
entered on the minutes screen, printed in the compte rendu (page, ODT, Markdown,
PDF) as the name with its address."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.models import Meeting
from tests.meetings_support import odt_text, section_texts, squash

LABEL = "Google Drive partagé"
URL = "https://drive.example.org/cdpl/innovation-sociale-numerique"


@pytest.fixture
def meeting(demo) -> Meeting:
    return demo.session.execute(sa.select(Meeting).order_by(Meeting.starts_at)).scalar()


def _minutes(meeting, **values) -> dict:
    data = {
        "version": str(meeting.version),
        "day": "2019-04-16",
        "status": "held",
        "author": str(meeting.author_id),
        "next_day": "2019-06-11",
        "next_time": "12:30",
        "next_place": "CDPL (6 rue Alphonse Rio)",
    }
    data.update(values)
    return data


def test_demo_link_name_is_on_the_minutes_screen_and_in_the_compte_rendu(
    meeting, admin_client
):
    """The source names the link and gives no address: the name alone."""
    page = admin_client.get(f"/admin/meeting/minutes/?id={meeting.id}").get_data(
        as_text=True
    )
    assert f'name="next_documents_label" type="text" value="{LABEL}"' in page
    assert "Nom du lien vers les documents" in page
    html = admin_client.get(f"/admin/meeting/report/?id={meeting.id}").get_data(
        as_text=True
    )
    assert f"Lien documents : {LABEL}" in section_texts(html)["cr-next"]


def test_link_name_and_address_entered_on_the_minutes_screen_are_printed(
    meeting, admin_client, demo
):
    url = f"/admin/meeting/minutes/?id={meeting.id}"
    response = admin_client.post(
        url,
        data=_minutes(
            meeting,
            documents_label=LABEL,
            documents_url=URL,
            next_documents_label=LABEL,
            next_documents_url=URL,
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    demo.session.expire_all()
    assert (meeting.documents_label, meeting.documents_url) == (LABEL, URL)
    nxt = meeting.next_meeting
    assert (nxt.documents_label, nxt.documents_url) == (LABEL, URL)
    page = admin_client.get(url).get_data(as_text=True)
    assert f'name="documents_label" type="text" value="{LABEL}"' in page
    assert f'name="documents_url" type="text" value="{URL}"' in page

    html = admin_client.get(f"/admin/meeting/report/?id={meeting.id}").get_data(
        as_text=True
    )
    assert f'<a href="{URL}" rel="noopener noreferrer">{LABEL}</a> ({URL})' in html
    odt = admin_client.get(f"/admin/meeting/report/odt/?id={meeting.id}").data
    assert f"Lien documents : {LABEL} ({URL})" in squash(odt_text(odt))
    md = admin_client.get(f"/admin/meeting/report/md/?id={meeting.id}")
    assert f"**Lien documents :** [{LABEL}](<{URL}>) (<{URL}>)" in md.get_data(
        as_text=True
    )
    pdf = admin_client.get(f"/admin/meeting/report/pdf/?id={meeting.id}").data
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert f"Lien documents : {LABEL} ({URL})" in text


def test_a_too_long_link_name_is_refused_next_to_the_field(meeting, admin_client):
    long_name = "Dossier " * 30
    page = admin_client.post(
        f"/admin/meeting/minutes/?id={meeting.id}",
        data=_minutes(meeting, documents_label=long_name),
    ).get_data(as_text=True)
    assert "200 caractères au plus." in page
    assert long_name.strip() in page  # the input is kept
