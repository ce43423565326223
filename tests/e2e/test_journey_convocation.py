"""Journey of issue 17: the meeting of 16 April 2019 convoked from its page, the three
excused answering through their personal links, the attendance sheet filled.

The server runs on the real clock, so the meeting is moved one year after today
(same day and time, members and text); the links it sends are read back from a
local SMTP server (aiosmtpd) fed by the outbox.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests.e2e.helpers import assert_accessible, flash_texts
from tests.mail_support import RecordingHandler, free_port, mail_config, personal_link

PARIS = ZoneInfo("Europe/Paris")

EXCUSED = ("Solenn Bréhaut", "Pascal Goyet", "Florian Le Berre")


def _address(member) -> str:
    text = unicodedata.normalize("NFKD", f"{member.first_name}.{member.last_name}")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace(" ", "").lower() + "@example.org"


@pytest.fixture
def smtp(e2e_app, monkeypatch):
    """A local SMTP server and the test process's app configured to send to it."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in mail_config(port).items():
        monkeypatch.setitem(e2e_app.config, key, value)
    try:
        yield handler
    finally:
        controller.stop()


def _prepare(demo_db) -> dict:
    """The 16 April meeting as before it was held: planned, no attendance, every
    member with an address, one year after today."""
    from app.models import Meeting, MeetingStatus, Member

    with demo_db.session() as session:
        meeting = (
            session.execute(sa.select(Meeting).order_by(Meeting.starts_at))
            .scalars()
            .first()
        )
        year = datetime.now().year + 1
        # A convocation announces a time; the demo's minutes give the day only.
        meeting.time_unknown = False
        meeting.starts_at = datetime(year, 4, 16, 12, 30, tzinfo=PARIS)
        meeting.ends_at = datetime(year, 4, 16, 14, 0, tzinfo=PARIS)
        meeting.status = MeetingStatus.planned
        for att in list(meeting.attendances):
            session.delete(att)
        ids = {}
        for member in session.execute(sa.select(Member)).scalars():
            member.email = _address(member)
            ids[member.full_name] = member.id
        session.commit()
        return {"meeting": meeting.id, "members": ids}


def test_convocation_replies_fill_the_attendance_sheet(
    open_tab, demo_db, smtp, e2e_app
):
    from app.mail.outbox import deliver_pending

    ids = _prepare(demo_db)
    staff = open_tab("editor")
    staff.goto(f"/admin/meeting/details/?id={ids['meeting']}")
    staff.get_by_role("link", name="Convocation", exact=True).first.click()
    # The contributor by e-mail is not in the group (the minutes list him neither
    # present nor excused): he is not offered.
    assert staff.locator(f"#member-{ids['members']['Philippe Ladame']}").count() == 0
    assert staff.locator("#subject").input_value().startswith("Convocation : ")
    with staff.expect_navigation():
        staff.get_by_role("button", name="Aperçu").click()
    assert "lien personnel" in staff.locator("#convocation-preview").inner_text()
    with staff.expect_navigation():
        staff.get_by_role("button", name="Envoyer la convocation").click()
    assert any("Convocation envoyé·e à 9 personne(s)" in t for t in flash_texts(staff))
    assert_accessible(staff, "écran de convocation")

    with e2e_app.app_context():
        assert deliver_pending().sent == 9
    assert len(smtp.messages) == 9

    for name in EXCUSED:
        last = name.split(" ", 1)[1]
        message = next(m for m in smtp.messages if last in str(m["To"]))
        link = urlsplit(personal_link(message)).path
        visitor = open_tab(None)
        visitor.goto(link)
        assert name in visitor.locator("main").inner_text()
        visitor.get_by_label("Je serai excusé·e").check()
        visitor.get_by_label("Commentaire (facultatif)").fill("Retenu·e ailleurs")
        with visitor.expect_navigation():
            visitor.get_by_role("button", name="Enregistrer ma réponse").click()
        assert (
            "votre réponse est enregistrée"
            in visitor.locator("#reply-saved").inner_text()
        )
        if name == EXCUSED[0]:
            assert_accessible(visitor, "page de réponse à une convocation")

    staff.goto(f"/admin/meeting/attendance/?id={ids['meeting']}")
    for name, member_id in ids["members"].items():
        if name == "Philippe Ladame":
            continue
        excused = staff.locator(f"#st-{member_id}-excused")
        assert excused.is_checked() == (name in EXCUSED), name
    staff.goto(f"/admin/meeting/details/?id={ids['meeting']}")
    assert staff.locator("#count-excused").inner_text() == "3"
    assert staff.locator("#count-none").inner_text() == "6"
