"""Values stored before the forms refused them never break an export, the
history page or a calendar feed (issue 22, finding 7)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from app.models import Indicator, Meeting, MeetingKind, MeetingStatus, Member
from tests.test_exports import fetch, read_rows
from tests.test_meetings_calendar import create_token

FORMATS = ["csv", "csv-excel", "xlsx", "ods", "json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_control_characters_in_stored_text_do_not_break_exports(admin_client, db, fmt):
    db.session.add_all(
        [
            Member(first_name="Anne\x0bMarie", last_name="Le Berre"),
            Member(first_name="Bip\x01", last_name="Fraillon\x1b"),
        ]
    )
    db.session.commit()
    response = fetch(admin_client, f"/admin/member/export/{fmt}/")
    assert response.status_code == 200
    rows = read_rows(fmt, response.get_data())
    text = " | ".join(" ".join(r) for r in rows)
    if fmt == "json":
        # JSON escapes them (\u000b): the value is kept as stored.
        assert "Anne\x0bMarie" in text
        return
    assert "Anne Marie" in text and "Fraillon" in text
    assert "\x0b" not in text and "\x01" not in text


def _store_indicators(db) -> list[str]:
    """Store what each database accepts of the values forms now refuse."""
    stored = []
    for name, value in [("Infini", Decimal("Infinity")), ("Énorme", Decimal("1E+30"))]:
        db.session.add(Indicator(name=name, baseline=value, target=Decimal(5)))
        try:
            db.session.commit()
            stored.append(name)
        except DBAPIError:  # PostgreSQL refuses 1e30 in numeric(18, 4)
            db.session.rollback()
    return stored


@pytest.mark.parametrize("fmt", FORMATS)
def test_non_finite_or_huge_numbers_do_not_break_exports(admin_client, db, fmt):
    stored = _store_indicators(db)
    # PostgreSQL refuses both in numeric(18, 4): the case arises on SQLite only.
    assert stored or db.engine.dialect.name == "postgresql"
    response = fetch(admin_client, f"/admin/indicator/export/{fmt}/")
    assert response.status_code == 200
    rows = read_rows(fmt, response.get_data())
    if not stored:  # PostgreSQL refused both values: the export is empty
        return
    column = rows[0].index("Nom")  # exports start with the record number (N°)
    names = {r[column] for r in rows[1:]}
    assert set(stored) <= names


def test_history_and_list_pages_show_them(admin_client, db):
    stored = _store_indicators(db)
    for indicator in db.session.execute(sa.select(Indicator)).scalars():
        assert indicator.name in stored
        response = admin_client.get(f"/admin/indicator/history/?id={indicator.id}")
        assert response.status_code == 200
    assert admin_client.get("/admin/indicator/").status_code == 200


def test_feed_survives_year_one_and_control_characters(admin_client, db):
    db.session.add_all(
        [
            Meeting(
                kind=MeetingKind.plenary,
                status=MeetingStatus.planned,
                starts_at=datetime(1, 1, 1, 0, 30, tzinfo=UTC),
            ),
            Meeting(
                kind=MeetingKind.bureau,
                status=MeetingStatus.planned,
                starts_at=datetime(2019, 6, 11, 10, 30, tzinfo=UTC),
                place="Salle\x01A\x0bCDPL",
                objective="Ordre\x0c du jour",
                documents_url="javascript:alert(1)",
            ),
        ]
    )
    db.session.commit()
    token = create_token(admin_client)
    response = admin_client.get(f"/agenda/{token}/reunions.ics")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "LOCATION:Salle A CDPL" in body
    assert "javascript" not in body
    assert "\x01" not in body and "\x0b" not in body and "\x0c" not in body


def test_stored_javascript_link_stays_out_of_the_compte_rendu(admin_client, db):
    """Finding 9: a ``javascript:`` link, stored before links were checked, was
    written in the compte rendu's ODT."""
    following = Meeting(
        kind=MeetingKind.bureau,
        status=MeetingStatus.planned,
        starts_at=datetime(2019, 6, 11, 10, 30, tzinfo=UTC),
        documents_url="javascript:alert(1)",
    )
    meeting = Meeting(
        kind=MeetingKind.plenary,
        status=MeetingStatus.held,
        starts_at=datetime(2019, 4, 16, 10, 30, tzinfo=UTC),
        next_meeting=following,
    )
    db.session.add_all([following, meeting])
    db.session.commit()
    for path in ("report", "report/odt", "report/md"):
        response = admin_client.get(f"/admin/meeting/{path}/?id={meeting.id}")
        assert response.status_code == 200, path
        if path == "report/odt":
            with zipfile.ZipFile(io.BytesIO(response.data)) as odt:
                body = odt.read("content.xml").decode()
        else:
            body = response.get_data(as_text=True)
        assert "javascript:alert" not in body, path
