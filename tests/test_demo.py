"""The demo command loads the meeting of 16 April 2019, idempotently."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.demo import UNKNOWN_TITLE, load_demo
from app.extensions import db as _db
from app.models import (
    Action,
    Amendment,
    AmendmentKind,
    AttendanceStatus,
    ChangeKind,
    ChangeLog,
    Document,
    DocumentKind,
    Indicator,
    Meeting,
    Member,
    PlanAction,
    TransmissionMeans,
    WorkingGroup,
)
from tests.test_cli import COMMAND, tool_env

# The meeting as a person enters it through the screens (a pytest fixture).
from tests.test_meetings_source_document import entered  # noqa: F401

#: The council's own minutes of 16 April 2019, as received (the demo's source).
SOURCE_FILE = Path(__file__).parent / "source_documents/compte-rendu-2019-04-16.txt"


def _counts():
    return {
        t.name: _db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
        for t in _db.metadata.sorted_tables
    }


def test_demo_command_is_idempotent(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "chargées" in first.output
    before = _counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "rien à faire" in second.output
    assert _counts() == before
    assert before["meeting"] == 2 and before["amendment"] == 3


def test_demo_meeting_shows_six_present_and_three_excused(admin_client, demo):
    meeting = (
        demo.session.execute(sa.select(Meeting).order_by(Meeting.starts_at))
        .scalars()
        .first()
    )
    statuses = [a.status for a in meeting.attendances]
    assert statuses.count(AttendanceStatus.present) == 6
    assert statuses.count(AttendanceStatus.excused) == 3
    html = admin_client.get(f"/admin/meeting/details/?id={meeting.id}").get_data(
        as_text=True
    )
    assert "Présent·e (6)" in html
    assert "Excusé·e (3)" in html
    assert "Cougoulat" in html and "Le Berre" in html
    # The minutes give the day, not the time.
    assert meeting.time_unknown and meeting.ends_at is None
    assert meeting.start_label == "16/04/2019, heure non précisée"
    assert (
        meeting.next_meeting.local_start.strftime("%d/%m/%Y %H:%M")
        == "11/06/2019 12:30"
    )


# --- the installed command on a database that already holds the records ------


def _table_counts_and_log(uri: str) -> tuple[dict[str, int], int]:
    """Row counts of every table and the history's last id, read afresh."""
    engine = sa.create_engine(uri.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            counts = {
                t.name: conn.execute(
                    sa.select(sa.func.count()).select_from(t)
                ).scalar_one()
                for t in _db.metadata.sorted_tables
            }
            last = conn.execute(sa.select(sa.func.max(ChangeLog.id))).scalar()
    finally:
        engine.dispose()
    return counts, last or 0


def _run_installed_demo(tmp_path, uri: str):
    """``cdpl-gestion demo`` in a subprocess, on the test database."""
    env = tool_env(tmp_path / "instance") | {"DATABASE_URL": uri}
    return subprocess.run(
        [COMMAND, "demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_installed_demo_twice_changes_nothing_the_second_time(app, db, tmp_path):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    first = _run_installed_demo(tmp_path, uri)
    assert first.returncode == 0, first.stderr
    assert "chargées" in first.stdout
    before = _table_counts_and_log(uri)
    assert before[0]["meeting"] == 2 and before[1] > 0
    second = _run_installed_demo(tmp_path, uri)
    assert second.returncode == 0, second.stderr
    assert "rien à faire" in second.stdout
    assert _table_counts_and_log(uri) == before


@pytest.mark.usefixtures("entered")
def test_installed_demo_leaves_a_meeting_entered_through_the_screens(app, db, tmp_path):
    """A person entered the meeting of 16 April by hand (its time, its own wording
    of the actions): the demo adds no record, no near-duplicate action and writes
    no history entry."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    before = _table_counts_and_log(uri)
    result = _run_installed_demo(tmp_path, uri)
    assert result.returncode == 0, result.stderr
    assert "rien à faire" in result.stdout
    assert _table_counts_and_log(uri) == before


def test_demo_reuses_the_group_and_members_a_person_entered(admin_client, db):
    """Group and members entered by hand, names typed with other accents and case:
    the demo adds the meeting around them, never a second "Éric Soudy"."""
    for first, last in (("Éric", "SOUDY"), ("Solenn", "Bréhaut")):
        response = admin_client.post(
            "/admin/member/new/",
            data={"first_name": first, "last_name": last, "role": "member"},
        )
        assert response.status_code == 302
    response = admin_client.post(
        "/admin/working_group/new/",
        data={"name": "innovation sociale numérique ", "active": "y"},
    )
    assert response.status_code == 302
    db.session.remove()
    entered_ids = set(db.session.execute(sa.select(Member.id)).scalars())
    last_log = db.session.execute(sa.select(sa.func.max(ChangeLog.id))).scalar()

    assert load_demo() > 0

    soudy = db.session.execute(
        sa.select(Member).where(Member.last_name.in_(["Soudy", "SOUDY"]))
    ).scalar_one()
    assert (soudy.first_name, soudy.last_name) == ("Éric", "SOUDY")  # untouched
    assert db.session.execute(sa.select(sa.func.count(WorkingGroup.id))).scalar() == 1
    meeting = (
        db.session.execute(sa.select(Meeting).order_by(Meeting.starts_at))
        .scalars()
        .first()
    )
    assert meeting.author == soudy
    # The records found were reused as they were: only creations in the history.
    changes = db.session.execute(
        sa.select(ChangeLog).where(ChangeLog.id > last_log)
    ).scalars()
    touched = {
        (c.record_type, c.record_id) for c in changes if c.kind != ChangeKind.create
    }
    assert not {("member", i) for i in entered_ids} & touched
    assert load_demo() == 0


# --- faithful to the source -------------------------------------------------


def _source_text() -> str:
    """The council's minutes, spaces squashed (the file the demo transcribes)."""
    text = SOURCE_FILE.read_text(encoding="utf-8")
    return " ".join(text.split())


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_demo_says_what_the_source_says_and_nothing_it_does_not(demo):
    source = _source_text()
    db = demo
    meeting, nxt = db.session.execute(
        sa.select(Meeting).order_by(Meeting.starts_at)
    ).scalars()
    # Who: the names of the minutes, present and excused as written.
    present = sorted(
        a.member.full_name
        for a in meeting.attendances
        if a.status == AttendanceStatus.present
    )
    excused = sorted(
        a.member.full_name
        for a in meeting.attendances
        if a.status == AttendanceStatus.excused
    )
    assert present == sorted(
        [
            "Eric Soudy",
            "Serge Fraillon",
            "Jean Verger",
            "Mickael Leblond",
            "Jacques Cougoulat",
            "Sylviane Cougoulat",
        ]
    )
    assert excused == ["Florian Le Berre", "Pascal Goyet", "Solenn Bréhaut"]
    for name in (*present, *excused, "Philippe Ladame"):
        first, last = name.split(" ", 1)
        assert first in source and last in source
    members = db.session.execute(sa.select(Member)).scalars().all()
    assert len(members) == 10  # the nine of the sheet and Philippe Ladame
    assert all(m.college is None and m.email is None for m in members)

    # When: 16 April 2019, no time, no end, no place (the source gives none);
    # the next one on 11 June 2019 at 12:30 at the CDPL.
    assert meeting.start_label == "16/04/2019, heure non précisée"
    assert meeting.ends_at is None and meeting.place is None
    assert _squash(meeting.objective) in source
    assert meeting.author.full_name == "Eric Soudy"  # "Rédaction Éric"
    assert nxt.start_label == "11/06/2019 12:30" and nxt.ends_at is None
    assert nxt.place == "CDPL (6 rue Alphonse Rio)"
    assert "Mardi 11 juin 12h30 au CDPL (6 rue Alphonse RIO)" in source
    # "Lien documents : Google Drive partagé": a name, no address.
    assert nxt.documents_label == "Google Drive partagé" and nxt.documents_url is None
    assert meeting.documents_url is None

    # The decision and its deadline ("délais ASAP").
    assert [(d.text, d.asap, d.due_on) for d in meeting.decisions] == [
        ("Mise à jour du document de réaction au STN", True, None)
    ]
    assert "Mise à jour du document de réaction au STN, délais ASAP" in source

    # The group's two "actions à venir", in its words, without owner or deadline.
    actions = db.session.execute(sa.select(Action).order_by(Action.id)).scalars().all()
    assert [a.title for a in actions] == [
        "Réflexion sur l'usage interne d'une base de données pour le CDPL",
        "Définir des indicateurs pour le suivi du STN",
    ]
    for action in actions:
        assert action.owner is None and action.due_on is None and not action.asap
        words = _squash(f"{action.title}. {action.description or ''}").casefold()
        for sentence in words.split(". "):
            assert sentence.strip(" .") in source.casefold(), sentence

    # The plan's actions 7, 12, 13, 14; budgets of 12 (150 K€) and 14 (30 K€);
    # no title the minutes do not quote.
    actions = {
        pa.number: pa for pa in db.session.execute(sa.select(PlanAction)).scalars()
    }
    assert sorted(actions) == [7, 12, 13, 14]
    assert actions[12].budget == Decimal("150000") and "12 (150 K€)" in source
    assert actions[14].budget == Decimal("30000") and "14 (30 K€)" in source
    assert actions[7].budget is None and actions[13].budget is None
    assert {pa.title for pa in actions.values()} == {UNKNOWN_TITLE}
    assert db.session.execute(sa.select(sa.func.count(Indicator.id))).scalar() == 0

    # Philippe Ladame's e-mail: a document with its body, and its three
    # amendments, each text word for word in the source.
    mail = db.session.execute(
        sa.select(Document).where(Document.kind == DocumentKind.contribution)
    ).scalar_one()
    assert mail.author.full_name == "Philippe Ladame" and mail.quote_in_minutes
    assert sorted(pa.number for pa in mail.plan_actions) == [7, 12, 13]
    amendments = (
        db.session.execute(sa.select(Amendment).order_by(Amendment.id)).scalars().all()
    )
    assert [(a.plan_action.number, a.kind) for a in amendments] == [
        (7, AmendmentKind.complete),
        (12, AmendmentKind.replace),
        (13, AmendmentKind.complete),
    ]
    for amendment in amendments:
        assert amendment.proposed_by == mail.author
        assert amendment.meeting == meeting
        assert amendment.text.casefold() in source.casefold()
        assert amendment.text.casefold() in _squash(mail.body).casefold()
    assert "à hauteur de 25% du budget total" in amendments[1].text
    assert amendments[1].proposed_share == Decimal("25")
    for line in (
        "Je suis assez d'accord avec l'avis",
        "(même si j'aurais peut-être ciblé davantage sur quelques critiques "
        "essentielles)",
        "En conséquence le CDPL suggère les amendements suivants :",
        "(Il conviendra, bien sûr, d'adapter les trois annexes décrivant les "
        "actions en question)",
    ):
        assert line in source and line in _squash(mail.body)

    # The avis's circuit: Solenn for the official document, then the élus, then
    # a press briefing; neither dates nor means are given.
    avis = db.session.execute(
        sa.select(Document).where(Document.kind == DocumentKind.opinion)
    ).scalar_one()
    assert "l'avis du groupe de travail sur le STN" in source
    assert avis.title == "Avis du groupe de travail sur le STN"
    assert [t.recipient for t in avis.transmissions] == [
        "Solenn Bréhaut",
        "élus",
        "presse",
    ]
    assert all(
        t.sent_on is None and t.means == TransmissionMeans.other
        for t in avis.transmissions
    )
    assert avis.url is None and mail.url is None
    for fragment in (
        "à transmettre à Solenn pour intégration dans le document officiel",
        "ensuite transmission aux élus",
        "par la suite organisation d'un point presse",
    ):
        assert fragment in source and fragment in _squash(meeting.exchanges)
