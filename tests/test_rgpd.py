"""RGPD: anonymisation for real, the per-person export, retention purges (issue 19)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from app.exports.dump import write_dump
from app.extensions import db as _db
from app.models import (
    Action,
    Attendance,
    AttendanceStatus,
    AuthSession,
    ChangeLog,
    College,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    DataTransfer,
    Invitation,
    Meeting,
    Member,
    MessageState,
    OutboxMessage,
    SecurityEvent,
    SecurityEventKind,
    User,
)
from app.rgpd.anonymise import AnonymisationRefused, anonymise_member, preview
from app.rgpd.export import write_member_export
from tests.conftest import PG_URL

FIRST, LAST = "Zéphyrine", "Quillévéré"
EMAIL = "zephyrine.quillevere@example.org"
PHONE = "+33612345678"


def _needles() -> list[bytes]:
    """Every byte form the person's values could take in a file."""
    texts = [FIRST, LAST, f"{FIRST} {LAST}", EMAIL, PHONE]
    forms = set()
    for text in texts:
        forms.add(text.encode("utf-8"))
        # JSON columns may be written with \\u escapes (json.dumps' default).
        forms.add(json.dumps(text).strip('"').encode("ascii"))
        forms.add(text.encode("utf-16-le"))
    return sorted(forms)


@pytest.fixture
def person(db):
    """A member with an e-mail, a phone, attendance, actions, mail, consent, history."""
    college = College(name="Citoyens")
    member = Member(first_name=FIRST, last_name="Quillevere", college=college)
    db.session.add(member)
    db.session.commit()
    # History: several edits, so that snapshots and diffs hold the values.
    member.last_name = LAST
    member.email = EMAIL
    db.session.commit()
    member.phone = PHONE
    member.notes = f"Joindre {FIRST} au {PHONE}"
    db.session.commit()
    meeting = Meeting(starts_at=datetime(2026, 3, 3, 17, 0, tzinfo=UTC))
    db.session.add(meeting)
    db.session.add(
        Attendance(meeting=meeting, member=member, status=AttendanceStatus.present)
    )
    db.session.add(Action(title="Relire l'avis", owner=member))
    db.session.add(
        Consent(
            member=member,
            purpose=ConsentPurpose.phone,
            given_on=date(2026, 1, 5),
            method=ConsentMethod.paper,
            proof=f"Formulaire signé par {FIRST} {LAST}",
        )
    )
    db.session.add(
        Invitation(
            meeting=meeting,
            member=member,
            token_hash="1" * 64,
            comment=f"{FIRST} arrivera en retard",
        )
    )
    db.session.add(
        OutboxMessage(
            member=member,
            to_address=EMAIL,
            to_name=f"{FIRST} {LAST}",
            subject="Convocation",
            body=f"Bonjour {FIRST} {LAST},",
        )
    )
    db.session.add(
        SecurityEvent(kind=SecurityEventKind.login_failure, email=EMAIL, ip="::1")
    )
    db.session.commit()
    return member.id


def _dump_text() -> bytes:
    buffer = io.BytesIO()
    write_dump(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zf:
        return b"\n".join(zf.read(name) for name in zf.namelist())


def _sqlite_files() -> list[Path]:
    path = Path(_db.engine.url.database)
    return [path, Path(f"{path}-wal")]


def test_anonymisation_leaves_no_byte_of_the_person(person):
    member_id = person
    files = _sqlite_files() if not PG_URL else []
    # The values are there before (the test would prove nothing otherwise).
    assert EMAIL.encode() in _dump_text()
    assert LAST.encode() in _dump_text()
    attendance_before = _db.session.execute(
        sa.select(sa.func.count()).select_from(Attendance)
    ).scalar_one()

    anonymise_member(member_id)
    _db.session.remove()

    haystacks = {"dump": _dump_text()}
    for path in files:
        haystacks[path.name] = path.read_bytes() if path.exists() else b""
    for where, content in haystacks.items():
        for needle in _needles():
            assert needle not in content, f"{needle!r} encore présent dans {where}"

    member = _db.session.get(Member, member_id)
    assert member.full_name == f"Membre anonymisé n° {member_id}"
    assert member.email is None and member.phone is None and member.notes is None
    assert member.college.name == "Citoyens"  # statistics keep the collège
    assert member.anonymised_at is not None
    assert (
        _db.session.execute(
            sa.select(sa.func.count()).select_from(Attendance)
        ).scalar_one()
        == attendance_before
    )
    assert _db.session.execute(sa.select(Action.owner_id)).scalar_one() == member_id
    assert _db.session.execute(sa.select(Consent)).first() is None
    assert _db.session.execute(sa.select(OutboxMessage)).first() is None
    assert _db.session.execute(sa.select(SecurityEvent)).first() is None
    invitation = _db.session.execute(sa.select(Invitation)).scalar_one()
    assert invitation.comment is None
    # One entry says that an anonymisation happened, and nothing else.
    own = (
        _db.session.execute(
            sa.select(ChangeLog).where(
                ChangeLog.record_type == "member", ChangeLog.record_id == member_id
            )
        )
        .scalars()
        .all()
    )
    assert len(own) == 1
    assert own[0].note == "Anonymisation (RGPD)"
    assert own[0].changes == {} and own[0].snapshot == {}
    if files:
        assert not files[1].exists() or files[1].stat().st_size == 0


def test_anonymising_twice_is_refused(person):
    anonymise_member(person)
    with pytest.raises(AnonymisationRefused, match="déjà été anonymisé"):
        anonymise_member(person)


def test_member_with_an_active_account_is_refused(person, make_user):
    make_user(member_id=person)
    with pytest.raises(AnonymisationRefused, match="compte actif"):
        anonymise_member(person)
    member = _db.session.get(Member, person)
    assert member.email == EMAIL  # nothing changed


def test_preview_says_what_will_change(person):
    member = _db.session.get(Member, person)
    lines = " ".join(preview(member).lines)
    assert "1 action(s) ouverte(s)" in lines
    assert "Consentements : 1 supprimé(s)" in lines
    assert f"Membre anonymisé n° {person}" in lines


def _export(member_id: int) -> dict[str, bytes]:
    buffer = io.BytesIO()
    write_member_export(buffer, member_id)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_export_of_solenn_brehaut_holds_her_records_and_nobody_else(demo):
    solenn = _db.session.execute(
        sa.select(Member).where(Member.last_name == "Bréhaut")
    ).scalar_one()
    solenn.email = "solenn.brehaut@example.org"
    solenn.phone = "+33297000000"
    _db.session.add(
        Consent(
            member=solenn,
            purpose=ConsentPurpose.named_in_minutes,
            given_on=date(2019, 4, 1),
        )
    )
    _db.session.commit()
    files = _export(solenn.id)
    assert "LISEZMOI.txt" in files
    fiche = json.loads(files["fiche.json"])
    assert fiche[0]["Courriel"] == "solenn.brehaut@example.org"
    assert fiche[0]["Prénom"] == "Solenn"
    assert "Prénom" in files["fiche.csv"].decode().splitlines()[0]

    def count(model, column):
        return _db.session.execute(
            sa.select(sa.func.count()).select_from(model).where(column == solenn.id)
        ).scalar_one()

    assert len(json.loads(files["presences.json"])) == count(
        Attendance, Attendance.member_id
    )
    assert count(Attendance, Attendance.member_id) >= 1
    assert len(json.loads(files["groupes.json"])) >= 1
    assert len(json.loads(files["actions.json"])) == count(Action, Action.owner_id)
    assert len(json.loads(files["consentements.json"])) == 1
    history = files["historique.csv"].decode().splitlines()
    logged = _db.session.execute(
        sa.select(sa.func.count()).where(
            ChangeLog.record_type == "member", ChangeLog.record_id == solenn.id
        )
    ).scalar_one()
    assert logged >= 2 and len(history) - 1 >= logged
    assert len(files["historique.jsonl"].splitlines()) == len(history) - 1

    everything = b"\n".join(files.values()).decode("utf-8")
    others = _db.session.execute(sa.select(Member).where(Member.id != solenn.id))
    for other in others.scalars():
        assert other.full_name not in everything, other.full_name
        if other.email:
            assert other.email not in everything
    # The export is logged (which member, never a name).
    transfer = _db.session.execute(
        sa.select(DataTransfer).where(DataTransfer.target == "rgpd")
    ).scalar_one()
    assert f"n° {solenn.id}" in transfer.details


def test_export_includes_mail_and_convocations(person):
    files = _export(person)
    courriels = json.loads(files["courriels.json"])
    assert courriels[0]["texte"].startswith("Bonjour")
    assert json.loads(files["convocations.json"])[0]["commentaire"]
    assert "token" not in files["convocations.json"].decode()


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_dry_run_then_purge(app, db):
    with freeze_time("2024-01-10 10:00:00"):
        gone = Member(
            first_name="Ancien",
            last_name="Parti",
            email="ancien@example.org",
            joined_on=date(2015, 1, 1),
            left_on=date(2020, 6, 30),
        )
        recent = Member(
            first_name="Récente", last_name="Partie", left_on=date(2024, 1, 1)
        )
        db.session.add_all([gone, recent])
        user = User(email="staff@example.org", password_hash="x", active=True)
        db.session.add(user)
        db.session.add(SecurityEvent(kind=SecurityEventKind.login_success, email="x@y"))
        db.session.add(
            OutboxMessage(
                to_address="ancien@example.org",
                subject="Convocation",
                body="Bonjour",
                state=MessageState.sent,
            )
        )
        db.session.commit()
        db.session.add(AuthSession(token_hash="a" * 64, user_id=user.id))
        db.session.commit()
        gone_id = gone.id
    with freeze_time("2026-12-01 06:00:00"):
        db.session.add(SecurityEvent(kind=SecurityEventKind.login_success, email="z@y"))
        db.session.commit()
        out = _run(app, "purge", "--dry-run")
        assert "1 membre(s) parti(s) depuis plus de 3 an(s)" in out
        assert "Ancien Parti" in out and "Récente" not in out
        assert "1 entrée(s) du journal de sécurité" in out
        assert "1 session(s) terminée(s)" in out
        assert "1 texte(s) de courriel" in out
        db.session.remove()
        assert db.session.get(Member, gone_id).email == "ancien@example.org"
        assert (
            db.session.execute(sa.select(sa.func.count(SecurityEvent.id))).scalar() == 2
        )

        out = _run(app, "purge")
        assert "1 membre(s) anonymisé(s)" in out
        db.session.remove()
        assert db.session.get(Member, gone_id).email is None
        assert (
            db.session.execute(sa.select(sa.func.count(SecurityEvent.id))).scalar() == 1
        )
        assert db.session.execute(sa.select(AuthSession)).first() is None
        assert db.session.execute(sa.select(OutboxMessage.body)).scalar_one() is None
        entry = db.session.execute(
            sa.select(ChangeLog).where(ChangeLog.record_type == "purge")
        ).scalar_one()
        assert entry.actor_label == "purge"
        assert "1 membre(s) anonymisé(s)" in entry.note

        # Run again: nothing left, nothing broken.
        out = _run(app, "purge")
        assert "0 membre(s) anonymisé(s)" in out


def test_cli_export_and_anonymise(app, person, tmp_path):
    target = tmp_path / "export.zip"
    out = _run(app, "rgpd", "export", EMAIL, "--output", str(target))
    assert "écrit" in out
    assert zipfile.ZipFile(target).read("fiche.json")
    out = _run(app, "rgpd", "anonymise", str(person), "--yes")
    assert f"Membre n° {person} anonymisé." in out
    result = app.test_cli_runner().invoke(
        args=["rgpd", "anonymise", str(person), "--yes"]
    )
    assert result.exit_code == 1
    assert "déjà été anonymisé" in result.output
    result = app.test_cli_runner().invoke(
        args=["rgpd", "export", "personne@nulle.part"]
    )
    assert result.exit_code == 2
    assert "Aucun membre" in result.output


def test_export_with_100000_history_entries_streams(db, make_member):
    """The history part is read and written in batches: memory stays bounded."""
    import tracemalloc

    member = make_member(email="gros.historique@example.org")
    rows = [
        {
            "changed_at": datetime(2026, 1, 1, tzinfo=UTC),
            "actor_id": None,
            "actor_label": "import",
            "record_type": "member",
            "record_id": member.id,
            "record_label": member.full_name,
            "kind": "update",
            "changes": {"notes": [f"ancienne {n}", f"nouvelle {n}"]},
            "snapshot": {"notes": f"nouvelle {n}"},
            "batch": f"{n:032d}",
            "note": None,
        }
        for n in range(100_000)
    ]
    db.session.execute(ChangeLog.__table__.insert(), rows)
    db.session.commit()
    del rows
    buffer = io.BytesIO()
    tracemalloc.start()
    try:
        write_member_export(buffer, member.id)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zf:
        with zf.open("historique.csv") as fh:
            assert sum(1 for _ in fh) == 100_001 + 1  # header + creation entry
    # The whole history as Python dicts would take hundreds of MB.
    assert peak < 40 * 1024 * 1024, f"{peak / 1e6:.0f} Mo"


def test_author_of_minutes_and_owner_of_open_actions(demo):
    """Say what will change, then the generated compte rendu follows."""
    from app.meetings.report import build_report, to_markdown

    meeting = _db.session.execute(sa.select(Meeting)).scalars().first()
    solenn = _db.session.execute(
        sa.select(Member).where(Member.last_name == "Bréhaut")
    ).scalar_one()
    meeting.author = solenn
    _db.session.add(Action(title="Diffuser l'avis", owner=solenn, meeting=meeting))
    _db.session.commit()
    assert "Solenn Bréhaut" in to_markdown(build_report(meeting))
    lines = " ".join(preview(solenn).lines)
    assert "compte(s) rendu(s) rédigé(s)" in lines
    assert "action(s) ouverte(s)" in lines

    meeting_id, solenn_id = meeting.id, solenn.id
    anonymise_member(solenn_id)
    _db.session.remove()
    meeting = _db.session.get(Meeting, meeting_id)
    text = to_markdown(build_report(meeting))
    assert "Bréhaut" not in text
    assert f"Membre anonymisé n° {solenn_id}" in text


def test_purge_interrupted_half_way_can_be_run_again(app, db, monkeypatch):
    """Each member is anonymised whole or not at all; a second run finishes."""
    import app.rgpd.anonymise as anonymise_module

    first = Member(first_name="Premier", last_name="Ancien", left_on=date(2015, 1, 1))
    second = Member(first_name="Second", last_name="Ancien", left_on=date(2016, 1, 1))
    db.session.add_all([first, second])
    db.session.commit()
    ids = (first.id, second.id)
    real = anonymise_module._purge_log
    calls = {"n": 0}

    def crash_on_second(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("coupure")
        return real(*args)

    monkeypatch.setattr(anonymise_module, "_purge_log", crash_on_second)
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code != 0
    db.session.remove()
    done, intact = (db.session.get(Member, i) for i in ids)
    assert done.anonymised_at is not None and done.first_name == "Membre anonymisé"
    assert intact.anonymised_at is None and intact.first_name == "Second"
    monkeypatch.setattr(anonymise_module, "_purge_log", real)
    assert "1 membre(s) anonymisé(s)" in _run(app, "purge")
    db.session.remove()
    assert db.session.get(Member, ids[1]).first_name == "Membre anonymisé"


def test_consent_withdrawal_is_in_the_history_and_the_export(db, make_member):
    member = make_member()
    consent = Consent(
        member=member, purpose=ConsentPurpose.photo, given_on=date(2026, 1, 1)
    )
    db.session.add(consent)
    db.session.commit()
    consent.withdrawn_on = date(2026, 6, 1)
    db.session.commit()
    files = _export(member.id)
    exported = json.loads(files["consentements.json"])
    assert exported[0]["Retiré le"] == "2026-06-01"
    assert exported[0]["Objet"] == "Conserver une photo"
    history = files["historique.csv"].decode()
    assert "consent" in history and "withdrawn_on" in history
