"""E-mail measurements (issue 17): sender throughput and the time a convocation
request takes while the SMTP server is slow.

    python -m bench.mail                       # temporary SQLite database
    python -m bench.mail --db postgresql://cdpl:cdpl@127.0.0.1:5432/cdpl_bench_mail

The PostgreSQL database is emptied first (DROP SCHEMA public): never point it at
real data. The SMTP server is aiosmtpd on 127.0.0.1 (a test dependency).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from aiosmtpd.controller import Controller

from app.extensions import db
from app.history import acting_as
from app.mail.outbox import Attachment, deliver_pending, queue
from app.mail.sender import background_sender
from app.models import Meeting, MeetingKind, Member
from bench.server import scratch_app, staff_client
from tests.mail_support import RecordingHandler, free_port, mail_config


def throughput(app, handler, count: int) -> float:
    with app.app_context(), acting_as("bench"):
        for i in range(count):
            queue(
                to_address=f"membre{i}@example.org",
                to_name=f"Membre {i}",
                subject="Convocation : réunion du groupe",
                body="Bonjour,\n\n" + "Texte de la convocation. " * 40,
                attachments=[
                    Attachment("invitation.ics", "text/calendar", b"x" * 2000)
                ],
            )
        db.session.commit()
        start = time.perf_counter()
        report = deliver_pending()
        elapsed = time.perf_counter() - start
    assert report.sent == count and len(handler.messages) == count
    return count / elapsed


def slow_request(app, handler, members: int, delay: float) -> tuple[float, float]:
    """Seconds of the convocation request, and until the last message left."""
    handler.messages.clear()
    handler.data_delay = delay
    app.config["MAIL_SEND_AFTER_COMMIT"] = True
    with app.app_context():
        meeting = Meeting(
            kind=MeetingKind.bureau,
            starts_at=datetime.now(UTC) + timedelta(days=10),
            place="CDPL",
        )
        people = [
            Member(first_name="P", last_name=f"N{i}", email=f"p{i}@example.org")
            for i in range(members)
        ]
        db.session.add_all([meeting, *people])
        db.session.commit()
        meeting_id, ids = meeting.id, [p.id for p in people]
        db.session.remove()
    client = staff_client(app, "bench@example.org")
    data = {"subject": "Convocation", "body": "Bonjour", "send": "1"}
    data.update({f"member-{i}": "1" for i in ids})
    start = time.perf_counter()
    response = client.post(f"/admin/meeting/convocation/?id={meeting_id}", data=data)
    request_s = time.perf_counter() - start
    assert response.status_code == 302, response.status_code
    background_sender(app).wait(members * delay + 60)
    total_s = time.perf_counter() - start
    assert len(handler.messages) == members
    return request_s, total_s


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args(argv)
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with scratch_app(args.db, "bench-mail", **mail_config(port)) as app:
            rate = throughput(app, handler, args.count)
            request_s, total_s = slow_request(app, handler, 20, 0.25)
            with app.app_context():
                kind = db.engine.dialect.name
    finally:
        controller.stop()
    print(
        f"{kind}: {rate:.0f} courriels/s vers un serveur SMTP local ({args.count} messages)"
    )
    print(
        f"{kind}: convocation de 20 personnes, serveur lent (0,25 s par message) : "
        f"requête {request_s * 1000:.0f} ms, dernier message parti après {total_s:.1f} s"
    )


if __name__ == "__main__":
    main()
