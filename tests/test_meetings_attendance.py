"""Attendance screen: roster of the group, one submission, guests, rates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    Member,
    Membership,
    WorkingGroup,
)

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def group_meeting(db, make_member):
    """A group of 40 members (one left the group before the meeting) and a meeting."""
    group = WorkingGroup(name="Mobilités")
    db.session.add(group)
    members = [make_member(last_name=f"Membre{i:02d}") for i in range(40)]
    for member in members:
        group.memberships.append(Membership(member=member))
    gone = make_member(first_name="Ancien", last_name="Parti")
    group.memberships.append(Membership(member=gone, until=date(2020, 1, 1)))
    meeting = Meeting(
        group=group,
        starts_at=datetime(2024, 3, 5, 18, 0, tzinfo=PARIS),
        status=MeetingStatus.held,
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting, members, gone


STATUS_CYCLE = ["present", "excused", "absent"]


def test_forty_members_recorded_in_one_submission(admin_client, db, group_meeting):
    meeting, members, gone = group_meeting
    url = f"/admin/meeting/attendance/?id={meeting.id}"
    page = admin_client.get(url).get_data(as_text=True)
    # The roster is the group on the meeting day, in last-name order.
    positions = [page.index(f'name="status-{m.id}"') for m in members]
    assert positions == sorted(positions)
    assert f'name="status-{gone.id}"' not in page
    data = {f"status-{m.id}": STATUS_CYCLE[i % 3] for i, m in enumerate(members)}
    response = admin_client.post(url, data=data)
    assert response.status_code == 302
    rows = db.session.execute(sa.select(Attendance)).scalars().all()
    assert len(rows) == 40
    by_member = {a.member_id: a.status.name for a in rows}
    assert by_member == {m.id: STATUS_CYCLE[i % 3] for i, m in enumerate(members)}
    assert not any(a.guest for a in rows)
    # The page shows the saved choices back.
    page = admin_client.get(url).get_data(as_text=True)
    assert f'id="st-{members[1].id}-excused"' in page
    snippet = page[page.index(f'id="st-{members[1].id}-excused"') :][:400]
    assert "checked" in snippet

    # Changing one person and clearing another, still one submission.
    data[f"status-{members[0].id}"] = "absent"
    data[f"status-{members[1].id}"] = ""
    assert admin_client.post(url, data=data).status_code == 302
    db.session.expire_all()
    by_member = {
        a.member_id: a.status
        for a in db.session.execute(sa.select(Attendance)).scalars()
    }
    assert len(by_member) == 39
    assert by_member[members[0].id] == AttendanceStatus.absent
    assert members[1].id not in by_member


def test_guest_added_and_same_member_twice_refused(admin_client, db, group_meeting):
    meeting, members, gone = group_meeting
    staff = Member(first_name="Solenn", last_name="Bréhaut")
    db.session.add(staff)
    db.session.commit()
    url = f"/admin/meeting/attendance/?id={meeting.id}"
    # The member search used by the guest picker finds people outside the group.
    found = admin_client.get(
        "/admin/meeting/ajax/lookup/?name=attendee&query=bréh"
    ).get_json()
    assert [row[0] for row in found] == [staff.id]

    data = {f"status-{m.id}": "present" for m in members}
    data["status-" + str(members[5].id)] = "excused"
    # A member of the group cannot be added again as a guest: error, input kept.
    response = admin_client.post(
        # The select2 widget posts the chosen ids comma-separated.
        url,
        data={**data, "guests": f"{staff.id},{members[0].id}"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"{members[0].full_name} figure déjà dans la liste de présence." in html
    snippet = html[html.index(f'id="st-{members[5].id}-excused"') :][:300]
    assert "checked" in snippet
    assert db.session.execute(sa.select(sa.func.count(Attendance.id))).scalar() == 0

    response = admin_client.post(url, data={**data, "guests": [str(staff.id)]})
    assert response.status_code == 302
    guest = db.session.execute(
        sa.select(Attendance).filter_by(member_id=staff.id)
    ).scalar_one()
    assert guest.guest and guest.status == AttendanceStatus.present
    # The guest now has a row in the roster, marked as such.
    html = admin_client.get(url).get_data(as_text=True)
    assert f'name="status-{staff.id}"' in html and "invité·e" in html
    # Adding the same guest again is refused too.
    response = admin_client.post(url, data={**data, "guests": [str(staff.id)]})
    assert "figure déjà dans la liste de présence" in response.get_data(as_text=True)


def test_invalid_status_is_refused_in_french(admin_client, db, group_meeting):
    meeting, members, _ = group_meeting
    url = f"/admin/meeting/attendance/?id={meeting.id}"
    response = admin_client.post(url, data={f"status-{members[0].id}": "bogus"})
    assert response.status_code == 200
    assert "Choix invalide." in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Attendance.id))).scalar() == 0


def test_unknown_meeting_is_404(admin_client, db):
    assert admin_client.get("/admin/meeting/attendance/?id=999").status_code == 404
    assert admin_client.get("/admin/meeting/attendance/?id=abc").status_code == 404
    huge = "9" * 30
    assert admin_client.get(f"/admin/meeting/minutes/?id={huge}").status_code == 404


def test_rates_on_member_and_group_pages(admin_client, db, group_meeting):
    meeting, members, _ = group_meeting
    second = Meeting(
        group=meeting.group,
        starts_at=datetime(2024, 4, 5, 18, 0, tzinfo=PARIS),
        status=MeetingStatus.held,
    )
    cancelled = Meeting(
        group=meeting.group,
        starts_at=datetime(2024, 5, 5, 18, 0, tzinfo=PARIS),
        status=MeetingStatus.cancelled,
    )
    db.session.add_all([second, cancelled])
    ann = members[0]
    db.session.add_all(
        [
            Attendance(meeting=meeting, member=ann, status=AttendanceStatus.present),
            Attendance(meeting=second, member=ann, status=AttendanceStatus.excused),
            # Cancelled meetings do not count.
            Attendance(meeting=cancelled, member=ann, status=AttendanceStatus.absent),
            Attendance(
                meeting=meeting, member=members[1], status=AttendanceStatus.absent
            ),
        ]
    )
    db.session.commit()
    html = admin_client.get(f"/admin/member/details/?id={ann.id}").get_data(
        as_text=True
    )
    assert "50 % (1 présence(s) sur 2 réunion(s), 1 excusée(s), 0 absence(s))" in html
    html = admin_client.get(
        f"/admin/working_group/details/?id={meeting.group_id}"
    ).get_data(as_text=True)
    assert "Taux de présence du groupe (2 réunion(s))" in html
    assert "33 % (1 présence(s) sur 3 participation(s) attendue(s)" in html
    assert f"{ann.last_name} {ann.first_name}</th><td>50 %" in html


def test_bureau_meeting_roster_is_the_bureau(admin_client, db, make_member):
    from app.models import MeetingKind, MemberRole

    chair = make_member(last_name="Présidente", role=MemberRole.presidency)
    bureau = make_member(last_name="Bureau", role=MemberRole.bureau)
    plain = make_member(last_name="Simple", role=MemberRole.member)
    meeting = Meeting(
        kind=MeetingKind.bureau, starts_at=datetime(2024, 3, 5, 18, 0, tzinfo=PARIS)
    )
    db.session.add(meeting)
    db.session.commit()
    html = admin_client.get(f"/admin/meeting/attendance/?id={meeting.id}").get_data(
        as_text=True
    )
    assert f'name="status-{chair.id}"' in html
    assert f'name="status-{bureau.id}"' in html
    assert f'name="status-{plain.id}"' not in html
