"""Two éditeurs on the same attendance sheet: the later save from an older page is
refused in French, names who changed what, and keeps the choices typed (issue 22,
finding 6)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    Membership,
    WorkingGroup,
)
from tests.conftest import login

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def sheet(db, make_member):
    group = WorkingGroup(name="Innovation sociale numérique")
    db.session.add(group)
    members = [
        make_member(first_name="Eric", last_name="Soudy"),
        make_member(first_name="Serge", last_name="Fraillon"),
        make_member(first_name="Jean", last_name="Verger"),
    ]
    for member in members:
        group.memberships.append(Membership(member=member))
    meeting = Meeting(
        group=group,
        starts_at=datetime(2019, 4, 16, 12, 30, tzinfo=PARIS),
        status=MeetingStatus.held,
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting, members


def _editor(app, make_user, name):
    from app.models.accounts import Role

    user = make_user(role=Role.editor, name=name)
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    client.user = user
    return client


def _hidden(html: str) -> dict[str, str]:
    """The hidden fields of the attendance form (version and statuses shown)."""
    return dict(
        re.findall(r'<input type="hidden" name="(was-\d+)" value="([^"]*)"', html)
    )


def _statuses(db, meeting) -> dict[int, AttendanceStatus]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id)
    ).scalars()
    return {a.member_id: a.status for a in rows}


def test_stale_attendance_save_is_refused_and_input_kept(app, db, make_user, sheet):
    meeting, (eric, serge, jean) = sheet
    url = f"/admin/meeting/attendance/?id={meeting.id}"
    first = _editor(app, make_user, "Solenn")
    second = _editor(app, make_user, "Philippe")
    first_page = _hidden(first.get(url).get_data(as_text=True))
    second_page = _hidden(second.get(url).get_data(as_text=True))
    assert f"was-{eric.id}" in first_page

    # The second éditeur saves first: Eric excused, Serge present.
    response = second.post(
        url,
        data={
            **second_page,
            f"status-{eric.id}": "excused",
            f"status-{serge.id}": "present",
        },
    )
    assert response.status_code == 302
    saved = _statuses(db, meeting)

    # The first éditeur saves from the page opened earlier: refused.
    response = first.post(
        url,
        data={
            **first_page,
            f"status-{eric.id}": "present",
            f"status-{jean.id}": "absent",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Enregistrement refusé" in html
    assert second.user.email in html  # who changed the sheet
    assert "Eric Soudy" in html and "Serge Fraillon" in html
    assert "Statuts changés entre-temps" in html
    # Nothing of the refused save was written...
    assert _statuses(db, meeting) == saved
    # ...and the choices typed are still on screen.
    assert re.search(
        rf'value="present" id="st-{eric.id}-present"\s+aria-label="[^"]*"\s+checked',
        html,
    )
    assert re.search(
        rf'value="absent" id="st-{jean.id}-absent"\s+aria-label="[^"]*"\s+checked', html
    )

    # Saving again from the refreshed page applies them.
    again = _hidden(html)
    response = first.post(
        url,
        data={
            **again,
            f"status-{eric.id}": "present",
            f"status-{serge.id}": "present",
            f"status-{jean.id}": "absent",
        },
    )
    assert response.status_code == 302
    assert _statuses(db, meeting) == {
        eric.id: AttendanceStatus.present,
        serge.id: AttendanceStatus.present,
        jean.id: AttendanceStatus.absent,
    }


def test_a_guest_recorded_meanwhile_makes_the_page_stale(app, db, make_user, sheet):
    from app.models import Member

    meeting, (eric, _serge, _jean) = sheet
    url = f"/admin/meeting/attendance/?id={meeting.id}"
    first = _editor(app, make_user, "Solenn")
    page = _hidden(first.get(url).get_data(as_text=True))
    guest = Member(first_name="Philippe", last_name="Ladame")
    db.session.add(guest)
    db.session.flush()
    db.session.add(
        Attendance(
            meeting_id=meeting.id,
            member_id=guest.id,
            status=AttendanceStatus.present,
            guest=True,
        )
    )
    db.session.commit()
    response = first.post(url, data={**page, f"status-{eric.id}": "present"})
    assert response.status_code == 200
    assert "Philippe Ladame" in response.get_data(as_text=True)
    assert eric.id not in _statuses(db, meeting)


def test_attendance_save_leaves_the_minutes_page_valid(app, db, make_user, sheet):
    """The sheet and the minutes are separate parts: recording attendance does not
    make a minutes page opened before it stale."""
    meeting, (eric, _serge, _jean) = sheet
    url = f"/admin/meeting/attendance/?id={meeting.id}"
    client = _editor(app, make_user, "Solenn")
    before = meeting.version
    page = _hidden(client.get(url).get_data(as_text=True))
    response = client.post(url, data={**page, f"status-{eric.id}": "present"})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Meeting, meeting.id).version == before
