"""Convocations of the 16 April 2019 meeting, replies through the personal links,
the attendance sheet they fill, notices, and the compte rendu shared by e-mail —
all read back from a local SMTP server."""

from __future__ import annotations

import io
import threading
import unicodedata
import zipfile
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from freezegun import freeze_time
from icalendar import Calendar

from app.mail.invitations import reply_counts
from app.mail.notices import queue_reminders
from app.mail.outbox import deliver_pending
from app.meetings import ical
from app.models import (
    Attendance,
    AttendanceStatus,
    Invitation,
    InvitationReply,
    Meeting,
    MeetingStatus,
    Member,
    MessagePurpose,
    OutboxMessage,
)
from app.models.accounts import Role
from tests.conftest import login
from tests.mail_support import (
    attachments,
    body_text,
    page,
    personal_link,
)

#: Before the meeting of Tuesday 16 April 2019, 12:30 (Paris); frozen times are UTC.
BEFORE = "2019-04-10 09:00:00"
PARIS = ZoneInfo("Europe/Paris")
EXCUSED = ("Solenn Bréhaut", "Pascal Goyet", "Florian Le Berre")


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class FreshLogin:
    """A staff client that logs in anew before each request, at the current time.

    The tests move the clock back to April 2019 (freezegun): a session opened
    in the real present would not exist yet, or would have expired.
    """

    def __init__(self, app, email: str) -> None:
        self.app = app
        self.email = email

    def _client(self):
        client = self.app.test_client()
        assert login(client, self.email).status_code == 302
        return client

    def get(self, *args, **kwargs):
        return self._client().get(*args, **kwargs)

    def post(self, *args, **kwargs):
        return self._client().post(*args, **kwargs)


@pytest.fixture
def editor_client(app, db, make_user):
    return FreshLogin(app, make_user(role=Role.editor).email)


@pytest.fixture
def meeting(demo):
    """The 16 April 2019 meeting before it was held: no attendance yet, and every
    member with an address."""
    db = demo
    meeting = (
        db.session.execute(sa.select(Meeting).order_by(Meeting.starts_at))
        .scalars()
        .first()
    )
    for att in list(meeting.attendances):
        db.session.delete(att)
    meeting.status = MeetingStatus.planned
    # What a convocation announces and the minutes do not give (the demo has
    # the day only): a time, an end, a place and the documents' address.
    meeting.time_unknown = False
    meeting.starts_at = datetime(2019, 4, 16, 12, 30, tzinfo=PARIS)
    meeting.ends_at = datetime(2019, 4, 16, 14, 0, tzinfo=PARIS)
    meeting.place = "CDPL, 6 rue Alphonse Rio, Lorient"
    meeting.documents_url = (
        "https://drive.example.org/cdpl/innovation-sociale-numerique"
    )
    for member in db.session.execute(sa.select(Member)).scalars():
        member.email = (
            _ascii(f"{member.first_name}.{member.last_name}").replace(" ", "").lower()
            + "@example.org"
        )
    db.session.commit()
    return meeting


def _the_nine(meeting) -> list[Member]:
    from app.meetings.attendance import roster

    return [
        r.member for r in roster(meeting) if r.member.full_name != "Philippe Ladame"
    ]


def _convoke(client, meeting, members, **extra):
    data = {
        "subject": extra.pop("subject", "Convocation : réunion du 16 avril 2019"),
        "body": extra.pop("body", "Bonjour,\nVenez nombreux."),
        "send": "1",
        **{f"member-{m.id}": "1" for m in members},
        **extra,
    }
    return client.post(
        f"/admin/meeting/convocation/?id={meeting.id}",
        data=data,
        follow_redirects=True,
    )


@pytest.fixture
def convoked(meeting, editor_client, smtp_server):
    """One of the nine convoked and the message delivered: the member, and the
    path of the personal link they reply through."""
    member = _the_nine(meeting)[0]
    with freeze_time(BEFORE):
        _convoke(editor_client, meeting, [member])
        deliver_pending()
    link = _path(personal_link(smtp_server.messages[0]))
    return SimpleNamespace(member=member, link=link)


def _messages(db, purpose=None):
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if purpose is not None:
        stmt = stmt.where(OutboxMessage.purpose == purpose)
    db.session.expire_all()
    return list(db.session.execute(stmt).scalars())


def _path(url: str) -> str:
    return urlsplit(url).path


def test_convocation_form_is_prefilled_in_french(meeting, editor_client):
    with freeze_time(BEFORE):
        resp = editor_client.get(f"/admin/meeting/convocation/?id={meeting.id}")
    html = page(resp)
    assert resp.status_code == 200
    assert (
        "Convocation : Réunion du groupe « Innovation sociale numérique » du mardi 16 avril 2019"
        in html
    )
    assert "le mardi 16 avril 2019 de 12 h 30 à 14 h 00" in html
    assert "Lieu : CDPL, 6 rue Alphonse Rio, Lorient" in html
    assert "Objectif : Ajustement de l'avis sur le Schéma Territorial" in html
    assert "Documents de la réunion : https://drive.example.org/" in html
    # The nine of the sheet sit in the group (the contributor is not a member).
    assert html.count('name="member-') == 9
    assert "Aucun serveur d'envoi (SMTP) n'est configuré" in html


def test_preview_shows_the_message_without_sending(meeting, editor_client, db):
    with freeze_time(BEFORE):
        response = editor_client.post(
            f"/admin/meeting/convocation/?id={meeting.id}",
            data={
                "subject": "Convocation",
                "body": "Texte modifié à la main",
                "preview": "1",
                f"member-{_the_nine(meeting)[0].id}": "1",
            },
        )
    html = page(response)
    assert 'id="convocation-preview"' in html
    assert "Texte modifié à la main" in html
    assert "(lien personnel de la personne)" in html
    assert _messages(db) == []


def test_the_nine_are_convoked_and_the_excused_reply_through_their_links(
    meeting, editor_client, smtp_server, db, client
):
    nine = _the_nine(meeting)
    assert len(nine) == 9
    with freeze_time(BEFORE):
        shown = page(
            _convoke(
                editor_client,
                meeting,
                nine,
                subject="Convocation : Innovation sociale numérique, 16 avril",
                body="Bonjour,\n\nRéunion le mardi 16 avril 2019 à 12 h 30.",
            )
        )
    assert "Convocation envoyé·e à 9 personne(s)" in shown
    assert deliver_pending().sent == 9
    assert len(smtp_server.messages) == 9

    received = smtp_server.to("solenn.brehaut@example.org")[0]
    assert received["Subject"] == "Convocation : Innovation sociale numérique, 16 avril"
    assert "Réunion le mardi 16 avril 2019 à 12 h 30." in body_text(received)
    # The .ics is an invitation for the same event as the calendar feed.
    name, (ctype, data) = next(iter(attachments(received).items()))
    assert name == "invitation.ics" and ctype == "text/calendar"
    cal = Calendar.from_ical(data)
    assert str(cal["METHOD"]) == "REQUEST"
    event = cal.walk("VEVENT")[0]
    feed = Calendar.from_ical(
        editor_client.get(f"/admin/meeting/ics/?id={meeting.id}").data
    ).walk("VEVENT")[0]
    assert str(event["UID"]) == str(feed["UID"]) == ical.meeting_uid(meeting)
    assert int(event["SEQUENCE"]) == int(feed["SEQUENCE"])
    assert str(event["ATTENDEE"]) == "mailto:solenn.brehaut@example.org"
    assert str(event["ORGANIZER"]) == "mailto:secretariat@cdpl.example.org"

    # The three excused answer through their own links, without an account.
    with freeze_time("2019-04-12 18:00:00"):
        for full_name in EXCUSED:
            first, last = full_name.split(" ", 1)
            address = _ascii(f"{first}.{last}").replace(" ", "").lower()
            link = personal_link(smtp_server.to(address + "@example.org")[0])
            resp = client.get(_path(link))
            html = page(resp)
            assert resp.status_code == 200
            assert full_name in html
            # Nothing about the other convoked members.
            others = [m.full_name for m in nine if m.full_name != full_name]
            assert not [o for o in others if o in html]
            response = client.post(
                _path(link), data={"reply": "excused", "comment": "Indisponible"}
            )
            assert "votre réponse est enregistrée : excusé·e" in response.get_data(
                as_text=True
            )
        sheet = editor_client.get(f"/admin/meeting/attendance/?id={meeting.id}")
        details = editor_client.get(f"/admin/meeting/details/?id={meeting.id}")
    db.session.expire_all()
    excused = {
        a.member.full_name
        for a in db.session.execute(sa.select(Attendance)).scalars()
        if a.status == AttendanceStatus.excused
    }
    assert excused == set(EXCUSED)
    html = page(sheet)
    for member in nine:
        checked = f'value="excused" id="st-{member.id}-excused"'
        line = html.split(checked)[1].split(">")[0]
        assert ("checked" in line) == (member.full_name in EXCUSED), member.full_name
    assert html.count("Réponse : excusé·e") == 3
    counts = page(details)
    assert 'id="count-convoked">9<' in counts
    assert 'id="count-replied">3<' in counts
    assert 'id="count-excused">3<' in counts
    assert 'id="count-none">6<' in counts
    # The compte rendu lists them as excused without staff typing it.
    report = editor_client.get(f"/admin/meeting/report/?id={meeting.id}")
    assert "Bréhaut" in page(report)


def test_present_answer_is_announced_not_recorded(
    meeting, convoked, editor_client, db, client
):
    with freeze_time(BEFORE):
        client.post(convoked.link, data={"reply": "present"})
        sheet = editor_client.get(f"/admin/meeting/attendance/?id={meeting.id}")
        counts = reply_counts(meeting.id)
    assert "présence annoncée" in page(sheet)
    assert db.session.execute(sa.select(Attendance)).first() is None
    assert (counts.present, counts.replied) == (1, 1)


def test_staff_entry_is_never_overwritten_by_a_reply(
    meeting, convoked, editor_client, db, client
):
    with freeze_time(BEFORE):
        editor_client.post(
            f"/admin/meeting/attendance/?id={meeting.id}",
            data={f"status-{convoked.member.id}": "present"},
        )
        client.post(convoked.link, data={"reply": "excused"})
        sheet = editor_client.get(f"/admin/meeting/attendance/?id={meeting.id}")
    db.session.expire_all()
    att = db.session.execute(sa.select(Attendance)).scalar_one()
    assert att.status == AttendanceStatus.present
    assert not att.from_reply
    html = page(sheet)
    assert "Réponse : excusé·e" in html  # shown beside the staff's choice


def test_reply_can_change_until_the_meeting_starts(convoked, db, client):
    link = convoked.link
    with freeze_time(BEFORE):
        client.post(link, data={"reply": "excused", "represented_by": "Eric Soudy"})
        client.post(link, data={"reply": "present"})
    db.session.expire_all()
    invitation = db.session.execute(sa.select(Invitation)).scalar_one()
    assert invitation.reply == InvitationReply.present
    assert invitation.represented_by is None
    assert db.session.execute(sa.select(Attendance)).first() is None
    # Once the meeting started the answer is frozen.
    with freeze_time("2019-04-16 10:45:00"):
        response = client.post(link, data={"reply": "excused"})
    assert response.status_code == 409
    assert "La réunion a commencé" in page(response)
    # After its end the link has expired.
    with freeze_time("2019-04-16 13:00:00"):
        response = client.get(link)
    assert response.status_code == 404
    assert "Ce lien a expiré" in page(response)


def test_tampered_unknown_and_replaced_links(
    meeting, convoked, editor_client, smtp_server, client
):
    link = convoked.link
    with freeze_time(BEFORE):
        tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
        for url in (tampered, "/reponse/x", "/reponse/" + "a" * 200):
            response = client.get(url)
            assert response.status_code == 404
            assert "Ce lien n'est pas (ou plus) valable" in page(response)
        assert client.post(tampered, data={"reply": "excused"}).status_code == 404
        # "Renvoyer" sends a fresh link, which replaces the old one.
        _convoke(editor_client, meeting, [convoked.member], resend="y")
        deliver_pending()
        assert client.get(link).status_code == 404
        new_link = _path(personal_link(smtp_server.messages[1]))
        assert client.get(new_link).status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_invalid_reply_keeps_the_input(convoked, client):
    with freeze_time(BEFORE):
        response = client.post(
            convoked.link, data={"reply": "peut-être", "comment": "Mon mot"}
        )
    html = page(response)
    assert response.status_code == 400
    assert "Mon mot" in html
    assert "Votre réponse n'a pas été enregistrée" in html


def test_double_click_sends_one_set_unless_resend(meeting, editor_client, db):
    nine = _the_nine(meeting)
    with freeze_time(BEFORE):
        _convoke(editor_client, meeting, nine)
        shown = page(_convoke(editor_client, meeting, nine))
        assert "Déjà reçu, non renvoyé" in shown
        assert len(_messages(db)) == 9
        _convoke(editor_client, meeting, nine, resend="y")
    assert len(_messages(db)) == 18


def test_members_without_address_are_convoked_otherwise(meeting, editor_client, db):
    nine = _the_nine(meeting)
    nine[0].email = None
    db.session.commit()
    with freeze_time(BEFORE):
        resp = editor_client.get(f"/admin/meeting/convocation/?id={meeting.id}")
        html = page(resp)
        assert "À convoquer autrement (1)" in html
        result = page(
            _convoke(editor_client, meeting, nine, **{f"member-{nine[0].id}": "1"})
        )
        letters = page(
            editor_client.get(f"/admin/meeting/convocation/letters/?id={meeting.id}")
        )
    assert "Sans adresse courriel valide, à prévenir autrement" in result
    assert len(_messages(db)) == 8
    assert nine[0].full_name in letters
    assert "mardi 16 avril 2019" in letters


def test_header_injection_in_the_subject_is_a_field_error(meeting, editor_client, db):
    with freeze_time(BEFORE):
        response = _convoke(
            editor_client,
            meeting,
            _the_nine(meeting),
            subject="Convocation\r\nBcc: tous@example.org",
            body="Mon texte soigné",
        )
    html = page(response)
    assert "Le sujet ne peut pas contenir de retour à la ligne." in html
    assert "Mon texte soigné" in html
    assert _messages(db) == []


def test_past_or_cancelled_meeting_is_not_convoked(meeting, editor_client, db):
    shown = page(_convoke(editor_client, meeting, _the_nine(meeting)))
    assert "La réunion a déjà commencé ou est passée" in shown
    assert _messages(db) == []


def test_change_and_cancellation_notify_the_convoked(
    meeting, editor_client, smtp_server, db
):
    nine = _the_nine(meeting)[:2]
    with freeze_time(BEFORE):
        _convoke(editor_client, meeting, nine)
        deliver_pending()
        first = Calendar.from_ical(
            attachments(smtp_server.messages[0])["invitation.ics"][1]
        ).walk("VEVENT")[0]
        meeting = db.session.get(Meeting, meeting.id)
        meeting.place = "Maison de l'agglomération, Lorient"
        db.session.commit()
        assert len(_messages(db, MessagePurpose.change)) == 2
        deliver_pending()
        change = smtp_server.messages[2]
        assert change["Subject"].startswith("Modification : ")
        assert "Lieu : Maison de l'agglomération, Lorient" in body_text(change)
        event = Calendar.from_ical(attachments(change)["invitation.ics"][1]).walk(
            "VEVENT"
        )[0]
        assert str(event["UID"]) == str(first["UID"])
        assert int(event["SEQUENCE"]) > int(first["SEQUENCE"])
        assert str(event["LOCATION"]) == "Maison de l'agglomération, Lorient"

        meeting.status = MeetingStatus.cancelled
        db.session.commit()
        deliver_pending()
    cancel = smtp_server.messages[4]
    assert cancel["Subject"].startswith("Annulation : ")
    cal = Calendar.from_ical(attachments(cancel)["annulation.ics"][1])
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(cal.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    assert len(smtp_server.messages) == 6


def test_reminders_are_off_by_default_then_sent_once(
    meeting, editor_client, smtp_server, db, app, monkeypatch, client
):
    nine = _the_nine(meeting)[:2]
    with freeze_time(BEFORE):
        _convoke(editor_client, meeting, nine)
        deliver_pending()
        client.post(
            _path(personal_link(smtp_server.messages[0])), data={"reply": "present"}
        )
        assert queue_reminders() == 0
        monkeypatch.setitem(app.config, "MAIL_REMINDER_DAYS", 7)
        with app.test_request_context():
            assert queue_reminders() == 1
            db.session.commit()
            assert queue_reminders() == 0
    reminders = _messages(db, MessagePurpose.reminder)
    assert [m.member_id for m in reminders] == [
        m.id for m in nine if str(m.email) not in str(smtp_server.messages[0]["To"])
    ]
    assert reminders[0].subject.startswith("Rappel : ")


def test_compte_rendu_is_shared_with_participants_and_excused(
    meeting, editor_client, smtp_server, db
):
    nine = _the_nine(meeting)
    for member in nine:
        status = (
            AttendanceStatus.excused
            if member.full_name in EXCUSED
            else AttendanceStatus.present
        )
        db.session.add(Attendance(meeting=meeting, member=member, status=status))
    meeting.status = MeetingStatus.held
    db.session.commit()
    resp = editor_client.get(f"/admin/meeting/report/share/?id={meeting.id}")
    html = page(resp)
    assert "Compte rendu : Réunion du groupe « Innovation sociale numérique »" in html
    assert ".odt" in html and ".pdf" in html
    data = {
        "subject": "Compte rendu du 16 avril",
        "body": "Bonjour, voici le compte rendu.",
    }
    data.update({f"member-{m.id}": "1" for m in nine})
    response = editor_client.post(
        f"/admin/meeting/report/share/?id={meeting.id}",
        data=data,
        follow_redirects=True,
    )
    assert "Compte rendu envoyé·e à 9 personne(s)" in page(response)
    again = editor_client.post(
        f"/admin/meeting/report/share/?id={meeting.id}",
        data=data,
        follow_redirects=True,
    )
    assert "Déjà reçu, non renvoyé" in page(again)
    assert deliver_pending().sent == 9
    received = smtp_server.to("pascal.goyet@example.org")[0]
    assert received["Subject"] == "Compte rendu du 16 avril"
    files = attachments(received)
    assert sorted(n.rsplit(".", 1)[1] for n in files) == ["odt", "pdf"]
    ((name, (ctype, content)),) = [i for i in files.items() if i[0].endswith(".odt")]
    assert ctype == "application/vnd.oasis.opendocument.text"
    ((_, (pdf_type, pdf)),) = [i for i in files.items() if i[0].endswith(".pdf")]
    assert pdf_type == "application/pdf" and pdf.startswith(b"%PDF")
    with zipfile.ZipFile(io.BytesIO(content)) as odt:
        assert odt.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        assert b"Goyet" in odt.read("content.xml")


def test_messages_appear_in_the_meeting_history_and_member_export(
    meeting, editor_client, db
):
    from app.mail.history import member_mail_export

    member = _the_nine(meeting)[0]
    with freeze_time(BEFORE):
        _convoke(editor_client, meeting, [member], subject="Convocation spéciale")
    details = editor_client.get(f"/admin/meeting/details/?id={meeting.id}")
    html = page(details)
    assert 'id="meeting-mail"' in html and "Convocation spéciale" in html
    export = member_mail_export(member.id)
    assert export["courriels"][0]["sujet"] == "Convocation spéciale"
    assert export["convocations"][0]["reponse"] == "Sans réponse"


def test_a_guest_outside_the_group_is_convoked(meeting, editor_client, db, make_member):
    guest = make_member(
        first_name="Agnès", last_name="Invitée", email="agnes@example.org"
    )
    with freeze_time(BEFORE):
        shown = page(_convoke(editor_client, meeting, [], guests=[str(guest.id)]))
        again = page(editor_client.get(f"/admin/meeting/convocation/?id={meeting.id}"))
    assert "Convocation envoyé·e à 1 personne(s)" in shown
    (message,) = _messages(db)
    assert message.to_address == "agnes@example.org" and message.member_id == guest.id
    # Now convoked, the guest is listed with the others (marked invité·e).
    assert "Invitée Agnès" in again and "invité·e" in again


def test_nobody_chosen_is_a_field_error(meeting, editor_client, db):
    with freeze_time(BEFORE):
        shown = page(_convoke(editor_client, meeting, [], body="Mon brouillon"))
    assert "Choisissez au moins une personne à convoquer." in shown
    assert "Mon brouillon" in shown
    assert _messages(db) == []


def test_two_simultaneous_submissions_send_one_set(meeting, app, db, make_user):
    # Plain ids: the threads use sessions of their own.
    nine = [SimpleNamespace(id=m.id) for m in _the_nine(meeting)]
    target = SimpleNamespace(id=meeting.id)
    email = make_user(role=Role.editor).email
    results, errors = [], []
    with freeze_time(BEFORE, real_asyncio=True):
        clients = [FreshLogin(app, email)._client() for _ in range(2)]
        db.session.remove()
        barrier = threading.Barrier(2)

        def submit(client):
            try:
                barrier.wait()
                results.append(page(_convoke(client, target, nine)))
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert len(results) == 2
    assert sum("Convocation envoyé·e à 9 personne(s)" in r for r in results) == 1
    assert all(
        "Convocation envoyé·e à 9" in r
        or "Déjà reçu, non renvoyé" in r
        or "double clic" in r
        for r in results
    )
    assert len(_messages(db)) == 9


def test_the_minutes_screen_says_the_convoked_were_warned(meeting, editor_client, db):
    two = _the_nine(meeting)[:2]
    data = {
        "version": str(meeting.version),
        "day": "2019-04-16",
        "start_time": "12:30",
        "end_time": "14:00",
        "place": "Maison de l'agglomération, Lorient",
        "status": "planned",
        "author": str(meeting.author_id or ""),
        "objective": meeting.objective,
    }
    with freeze_time(BEFORE):
        _convoke(editor_client, meeting, two)
        moved = page(
            editor_client.post(
                f"/admin/meeting/minutes/?id={meeting.id}",
                data=data,
                follow_redirects=True,
            )
        )
        db.session.expire_all()
        data.update(status="cancelled", version=str(meeting.version))
        cancelled = page(
            editor_client.post(
                f"/admin/meeting/minutes/?id={meeting.id}",
                data=data,
                follow_redirects=True,
            )
        )
    assert "Les 2 personne(s) convoquée(s) sont prévenues du changement" in moved
    assert "aucun serveur d'envoi configuré" in moved
    assert "Les 2 personne(s) convoquée(s) sont prévenues de l'annulation" in cancelled
    assert len(_messages(db, MessagePurpose.change)) == 2
    assert len(_messages(db, MessagePurpose.cancellation)) == 2
