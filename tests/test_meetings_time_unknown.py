"""A meeting whose source gives the day only prints "heure non précisée", never
00:00 / 0h00, wherever its date is printed: the compte rendu page, its ODT,
Markdown and PDF, the sign-in sheet, the convocation and the public pages."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.mail.convocation import default_body, when_in_words
from app.models import Meeting
from tests.meetings_support import odt_text, section_texts, squash

PARIS = ZoneInfo("Europe/Paris")
#: What a midnight start would print in each output's style.
MIDNIGHT = re.compile(r"\b0?0 ?h ?00\b|\b00:00\b")


@pytest.fixture
def meetings(demo):
    """The demo's 16 April meeting (day only) and its next one, also set to the
    day only here."""
    meeting, nxt = demo.session.execute(
        sa.select(Meeting).order_by(Meeting.starts_at)
    ).scalars()
    nxt.time_unknown = True
    nxt.starts_at = datetime(2019, 6, 11, tzinfo=PARIS)
    demo.session.commit()
    assert meeting.time_unknown
    return meeting, nxt


def _no_midnight(text: str) -> None:
    assert not MIDNIGHT.search(text), MIDNIGHT.search(text)


def test_compte_rendu_page_says_heure_non_precisee(meetings, reader_client):
    meeting, _ = meetings
    html = reader_client.get(f"/admin/meeting/report/?id={meeting.id}").get_data(
        as_text=True
    )
    sections = section_texts(html)
    assert "16 avril 2019, heure non précisée" in sections["cr-header"]
    assert "mardi 11 juin 2019, heure non précisée" in sections["cr-next"]
    _no_midnight(html[html.index('class="minutes-report"') :])


def test_compte_rendu_odt_and_markdown_say_heure_non_precisee(meetings, reader_client):
    meeting, _ = meetings
    odt = reader_client.get(f"/admin/meeting/report/odt/?id={meeting.id}")
    text = squash(odt_text(odt.data))
    assert "Date : 16 avril 2019, heure non précisée" in text
    assert "mardi 11 juin 2019, heure non précisée" in text
    _no_midnight(text)
    md = reader_client.get(f"/admin/meeting/report/md/?id={meeting.id}")
    markdown = md.get_data(as_text=True)
    assert "**Date :** 16 avril 2019, heure non précisée" in markdown
    assert "mardi 11 juin 2019, heure non précisée" in markdown
    _no_midnight(markdown)


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_compte_rendu_pdf_and_sign_in_sheet_say_heure_non_precisee(
    meetings, reader_client
):
    meeting, _ = meetings
    text = _pdf_text(reader_client.get(f"/admin/meeting/report/pdf/?id={meeting.id}"))
    assert "16 avril 2019, heure non précisée" in text
    assert "mardi 11 juin 2019, heure non précisée" in text
    _no_midnight(text)
    sheet = _pdf_text(reader_client.get(f"/admin/meeting/emargement/?id={meeting.id}"))
    assert "mardi 16 avril 2019, heure non précisée" in sheet
    _no_midnight(sheet)


def test_convocation_and_public_page_say_heure_non_precisee(
    meetings, client, app, demo
):
    meeting, _ = meetings
    with app.test_request_context():
        assert when_in_words(meeting) == "le mardi 16 avril 2019 (heure non précisée)"
        _no_midnight(default_body(meeting))
    meeting.public = True
    demo.session.commit()
    page = client.get("/public/reunions/").get_data(as_text=True)
    assert "16/04/2019, heure non précisée" in page
    _no_midnight(page)


def test_a_meeting_with_its_time_prints_it(meetings, reader_client, demo):
    meeting, _ = meetings
    meeting.time_unknown = False
    meeting.starts_at = datetime(2019, 4, 16, 12, 30, tzinfo=PARIS)
    meeting.ends_at = datetime(2019, 4, 16, 14, 0, tzinfo=PARIS)
    demo.session.commit()
    html = reader_client.get(f"/admin/meeting/report/?id={meeting.id}").get_data(
        as_text=True
    )
    assert "16 avril 2019, 12h30 – 14h00" in section_texts(html)["cr-header"]
    assert "heure non précisée" not in section_texts(html)["cr-header"]


def _minutes_data(meeting, **values) -> dict:
    data = {
        "version": str(meeting.version),
        "day": "2019-04-16",
        "status": "held",
        "author": str(meeting.author_id),
        "objective": meeting.objective,
    }
    data.update(values)
    return data


def test_minutes_screen_leaves_the_time_empty_and_keeps_it_unknown(
    meetings, admin_client, demo
):
    meeting, _ = meetings
    url = f"/admin/meeting/minutes/?id={meeting.id}"
    page = admin_client.get(url).get_data(as_text=True)
    start_input = re.search(r'<input[^>]*name="start_time"[^>]*>', page).group(0)
    assert 'value=""' in start_input or "value=" not in start_input, start_input
    next_input = re.search(r'<input[^>]*name="next_time"[^>]*>', page).group(0)
    assert "00:00" not in next_input
    assert "Vide : heure non précisée." in page

    # Saved without a time: still the day only.
    response = admin_client.post(url, data=_minutes_data(meeting))
    assert response.status_code == 302, response.get_data(as_text=True)
    demo.session.expire_all()
    assert meeting.time_unknown and meeting.start_label == (
        "16/04/2019, heure non précisée"
    )
    # An end without a start is refused next to the field, input kept.
    page = admin_client.post(
        url, data=_minutes_data(meeting, end_time="14:00")
    ).get_data(as_text=True)
    assert "Indiquez aussi l&#39;heure de début." in page
    assert 'value="14:00"' in page
    # A time typed: the meeting has its time.
    response = admin_client.post(
        url, data=_minutes_data(meeting, start_time="12:30", end_time="14:00")
    )
    assert response.status_code == 302
    demo.session.expire_all()
    assert not meeting.time_unknown
    assert meeting.start_label == "16/04/2019 12:30"
