"""The outbox and its sender against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import ssl
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from freezegun import freeze_time

from app.mail import outbox
from app.mail.outbox import Attachment, MailInputError, deliver_pending, queue
from app.mail.sender import background_sender
from app.models import MessageState, OutboxMessage
from app.models.base import utcnow
from tests.mail_support import (
    RecordingHandler,
    attachments,
    body_text,
    free_port,
    mail_config,
    page,
)


def _queue(db, **values):
    values.setdefault("to_address", "Solenn.Brehaut@Example.org")
    values.setdefault("to_name", "Solenn Bréhaut")
    values.setdefault("subject", "Réunion du groupe « Innovation sociale numérique »")
    values.setdefault("body", "Bonjour,\n\nVous êtes convoquée à la réunion.\n")
    message = queue(**values)
    db.session.commit()
    return message


def _state(db, message_id):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_message_is_delivered_with_french_text_and_attachment(db, smtp_server):
    message = _queue(
        db,
        attachments=[
            Attachment("note.txt", "text/plain; charset=utf-8", "été".encode())
        ],
    )
    assert message.state == MessageState.pending
    assert smtp_server.messages == []  # queued, not sent, by the commit

    report = deliver_pending()

    assert report.sent == 1
    received = smtp_server.messages[0]
    assert received["Subject"] == "Réunion du groupe « Innovation sociale numérique »"
    assert received["To"].addresses[0].display_name == "Solenn Bréhaut"
    assert received["To"].addresses[0].addr_spec == "solenn.brehaut@example.org"
    assert received["From"].addresses[0].addr_spec == "secretariat@cdpl.example.org"
    assert received["From"].addresses[0].display_name == "Secrétariat du CDPL"
    assert "Vous êtes convoquée" in body_text(received)
    assert attachments(received)["note.txt"] == ("text/plain", "été".encode())
    row = _state(db, message.id)
    assert row.state == MessageState.sent
    assert row.sent_at is not None and row.attempts == 1
    assert row.message_id == received["Message-ID"]
    # A second run sends nothing more.
    assert deliver_pending().sent == 0
    assert len(smtp_server.messages) == 1


def test_without_smtp_messages_wait_and_the_screen_says_so(db, editor_client):
    message = _queue(db)
    assert deliver_pending().attempted == 0
    assert _state(db, message.id).state == MessageState.pending
    shown = page(editor_client.get("/admin/outbox_message/"))
    assert "Aucun serveur d'envoi (SMTP) n'est configuré" in shown
    assert "solenn.brehaut@example.org" in shown


def test_4xx_is_retried_with_growing_delays_then_permanent(db, smtp_server):
    smtp_server.rcpt_reply = "451 4.3.0 Boite temporairement indisponible"
    message = _queue(db)
    expected = [1, 5, 30, 120, 360]
    now = utcnow()
    with freeze_time(now, real_asyncio=True) as frozen:
        for minutes in expected:
            assert deliver_pending().temporary == 1
            row = _state(db, message.id)
            assert row.state == MessageState.temporary_failure
            assert "451" in row.last_error
            assert row.next_attempt_at - utcnow() == timedelta(minutes=minutes)
            # Not due yet: nothing is tried.
            assert deliver_pending().attempted == 0
            frozen.tick(timedelta(minutes=minutes))
        assert deliver_pending().permanent == 1
    row = _state(db, message.id)
    assert row.state == MessageState.permanent_failure
    assert row.attempts == 6
    assert row.last_error.startswith("Abandon après 6 tentatives")
    assert smtp_server.messages == []


def test_temporary_failure_then_success(db, smtp_server):
    smtp_server.data_reply = "421 4.7.0 Trop de connexions"
    message = _queue(db)
    assert deliver_pending().temporary == 1
    smtp_server.data_reply = None
    with freeze_time(utcnow() + timedelta(minutes=2), real_asyncio=True):
        assert deliver_pending().sent == 1
    assert _state(db, message.id).state == MessageState.sent
    assert len(smtp_server.messages) == 1


def test_5xx_is_a_permanent_failure(db, smtp_server, editor_client):
    smtp_server.rcpt_reply = "550 5.1.1 Utilisateur inconnu"
    message = _queue(db)
    assert deliver_pending().permanent == 1
    row = _state(db, message.id)
    assert row.state == MessageState.permanent_failure
    assert row.next_attempt_at is None
    assert "550" in row.last_error and "Utilisateur inconnu" in row.last_error
    shown = page(editor_client.get("/admin/outbox_message/"))
    assert "Échec définitif" in shown and "Utilisateur inconnu" in shown


def test_no_server_listening_is_temporary(db, no_server):
    message = _queue(db)
    report = deliver_pending()
    assert report.temporary == 1
    row = _state(db, message.id)
    assert row.state == MessageState.temporary_failure
    assert row.last_error.startswith("Serveur d'envoi injoignable")


def test_invalid_address_fails_at_once_without_sending(db, smtp_server):
    message = _queue(db, to_address="pas-une-adresse")
    assert message.state == MessageState.permanent_failure
    assert message.last_error == "Adresse courriel invalide."
    assert deliver_pending().attempted == 0
    assert smtp_server.messages == []


def test_header_injection_is_refused_or_neutralised(db, smtp_server):
    with pytest.raises(MailInputError, match="retour à la ligne"):
        queue(
            to_address="a@example.org",
            subject="Convocation\r\nBcc: victime@example.org",
            body="x",
        )
    db.session.rollback()
    _queue(db, to_name="Jean\r\nBcc: victime@example.org", to_address="j@example.org")
    assert deliver_pending().sent == 1
    received = smtp_server.messages[0]
    assert received["Bcc"] is None
    # The line break became a space inside the quoted name: one recipient only.
    assert [a.addr_spec for a in received["To"].addresses] == ["j@example.org"]
    assert smtp_server.recipients == [["j@example.org"]]


def test_stuck_message_goes_back_to_the_queue_and_is_sent_once(db, smtp_server):
    message = _queue(db)
    row = _state(db, message.id)
    row.state = MessageState.sending
    row.claimed_at = utcnow() - timedelta(minutes=16)
    row.attempts = 1
    db.session.commit()
    fresh = _queue(db, to_address="autre@example.org")
    other = _state(db, fresh.id)
    other.state = MessageState.sending
    other.claimed_at = utcnow()  # another sender is busy with it right now
    db.session.commit()

    report = deliver_pending()

    assert report.recovered == 1 and report.sent == 1
    assert [str(m["To"]) for m in smtp_server.messages] == [
        "Solenn Bréhaut <solenn.brehaut@example.org>"
    ]
    assert _state(db, message.id).state == MessageState.sent
    assert _state(db, fresh.id).state == MessageState.sending


def test_two_senders_at_once_send_each_message_once(app, db, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 3)
    # A slow server keeps each sender busy: their claims overlap in time.
    smtp_server.data_delay = 0.1
    ids = [_queue(db, to_address=f"membre{i}@example.org").id for i in range(12)]
    # Reading the ids opened a transaction (on SQLite: the write lock); end it.
    db.session.remove()
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                deliver_pending()
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    received = sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages)
    assert received == sorted(f"membre{i}@example.org" for i in range(12))
    states = {_state(db, i).state for i in ids}
    assert states == {MessageState.sent}


def test_resend_from_the_screen(db, smtp_server, editor_client):
    smtp_server.rcpt_reply = "550 5.1.1 Inconnu"
    message = _queue(db)
    deliver_pending()
    smtp_server.rcpt_reply = None
    response = editor_client.post(
        "/admin/outbox_message/action/",
        data={"action": "resend", "rowid": [str(message.id)]},
        follow_redirects=True,
    )
    assert "1 message(s) remis dans la file" in page(response)
    assert _state(db, message.id).state == MessageState.pending
    assert deliver_pending().sent == 1
    assert len(smtp_server.messages) == 1


def test_reader_cannot_see_the_messages(db, reader_client):
    _queue(db)
    assert reader_client.get("/admin/outbox_message/").status_code == 403


def test_repeated_permanent_failures_flag_the_members_address(
    db, smtp_server, make_member, editor_client, app
):
    member = make_member(email="boite.pleine@example.org")
    smtp_server.rcpt_reply = "550 5.2.2 Boite pleine"
    for _ in range(3):
        queue(to_address=member.email, subject="Test", body="x", member=member)
        db.session.commit()
        deliver_pending()
    health = outbox.address_health(member.email)
    assert health.permanent == 3 and health.flagged
    shown = page(editor_client.get(f"/admin/member/details/?id={member.id}"))
    assert "Adresse courriel en échec" in shown
    assert "3 échec(s) définitif(s)" in shown
    # A delivery that works clears the flag.
    smtp_server.rcpt_reply = None
    queue(to_address=member.email, subject="Test", body="x", member=member)
    db.session.commit()
    deliver_pending()
    assert not outbox.address_health(member.email).flagged


def test_bodies_are_purged_after_the_retention_period(db, smtp_server, app):
    old = _queue(db, attachments=[Attachment("a.txt", "text/plain", b"x")])
    recent = _queue(db)
    deliver_pending()
    row = _state(db, old.id)
    row.created_at = utcnow() - timedelta(days=370)
    db.session.commit()
    assert outbox.purge_bodies() == 1
    row = _state(db, old.id)
    assert row.body is None and row.attachments == [] and row.purged_at is not None
    assert row.subject  # the record of what was sent stays
    assert _state(db, recent.id).body is not None


def test_send_mail_command(app, db, smtp_server):
    _queue(db)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "1 courriel(s) envoyé(s)" in result.output
    assert len(smtp_server.messages) == 1


def test_send_mail_loop_keeps_running_until_stopped(app, db, smtp_server, monkeypatch):
    calls = []

    def fake_sleep(seconds):
        calls.append(seconds)
        if len(calls) == 1:
            _queue(db, to_address="second@example.org")
            return
        raise KeyboardInterrupt

    monkeypatch.setattr("app.cli.mail.time.sleep", fake_sleep)
    _queue(db)
    result = app.test_cli_runner().invoke(
        args=["send-mail", "--loop", "--interval", "7"]
    )
    assert result.exit_code == 0, result.output
    assert calls == [7, 7]
    assert len(smtp_server.messages) == 2
    assert "Arrêt demandé" in result.output


def test_send_mail_command_without_smtp(app, db):
    _queue(db)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 1
    assert "Aucun serveur d'envoi" in result.output
    assert "1 courriel(s) en attente" in result.output


def test_delivery_after_commit_runs_in_the_background(
    app, db, smtp_server, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_SEND_AFTER_COMMIT", True)
    smtp_server.data_delay = 2
    message = _queue(db)
    # The commit returned while the server is still busy with DATA.
    assert smtp_server.data_started.wait(10)
    assert smtp_server.messages == []
    assert background_sender(app).wait(20)
    assert len(smtp_server.messages) == 1
    assert _state(db, message.id).state == MessageState.sent
    assert db.session.execute(sa.select(sa.func.count(OutboxMessage.id))).scalar() == 1


def _auth_server(app, monkeypatch, password: str):
    """A server that checks AUTH (user "cdpl", password "bon"), and the app
    configured with ``password``."""
    handler = RecordingHandler()

    def authenticator(server, session, envelope, mechanism, auth_data):
        login, secret = auth_data.login, auth_data.password
        ok = login in ("cdpl", b"cdpl") and secret in ("bon", b"bon")
        # handled=False: the server itself answers 235 or 535.
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=False,
        auth_require_tls=False,
    )
    controller.start()
    for key, value in mail_config(port).items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.config, "MAIL_SMTP_USER", "cdpl")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PASSWORD", password)
    return handler, controller


def test_smtp_login(app, db, monkeypatch):
    handler, controller = _auth_server(app, monkeypatch, "bon")
    try:
        message = _queue(db)
        assert deliver_pending().sent == 1
    finally:
        controller.stop()
    assert len(handler.messages) == 1
    assert _state(db, message.id).state == MessageState.sent


def test_refused_login_is_temporary_and_not_the_address_fault(app, db, monkeypatch):
    handler, controller = _auth_server(app, monkeypatch, "mauvais")
    try:
        message = _queue(db)
        assert deliver_pending().temporary == 1
    finally:
        controller.stop()
    row = _state(db, message.id)
    assert row.state == MessageState.temporary_failure
    assert row.last_error.startswith("Identifiants SMTP refusés")
    assert outbox.address_health(row.to_address).permanent == 0
    assert handler.messages == []


@pytest.fixture
def tls_authority(tmp_path):
    """A throwaway certificate authority and a certificate for 127.0.0.1."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server, str(ca_file)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_encrypted_connection(app, db, monkeypatch, tls_authority, security):
    server_context, ca_file = tls_authority
    handler = RecordingHandler()
    port = free_port()
    if security == "starttls":
        kwargs = {"tls_context": server_context, "require_starttls": True}
    else:
        kwargs = {"ssl_context": server_context}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    for key, value in mail_config(port).items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.config, "MAIL_SMTP_SECURITY", security)
    try:
        _queue(db)
        # An unknown authority is refused: the certificate is really checked.
        assert deliver_pending().temporary == 1
        assert (
            "CERTIFICATE_VERIFY_FAILED"
            in db.session.execute(sa.select(OutboxMessage.last_error)).scalar_one()
        )
        monkeypatch.setitem(app.config, "MAIL_SMTP_CA_FILE", ca_file)
        with freeze_time(utcnow() + timedelta(minutes=2), real_asyncio=True):
            assert deliver_pending().sent == 1
    finally:
        controller.stop()
    assert len(handler.messages) == 1
