"""Minutes screen: bad input keeps what was typed, actions of earlier meetings, safety."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.models import (
    Action,
    ActionStatus,
    Decision,
    Meeting,
    MeetingStatus,
    Member,
    WorkingGroup,
)

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def meeting(db):
    group = WorkingGroup(name="Transition")
    author = Member(first_name="Anne", last_name="Martin")
    m = Meeting(
        group=group,
        starts_at=datetime(2024, 3, 5, 18, 0, tzinfo=PARIS),
        place="Salle A",
        author=author,
    )
    db.session.add(m)
    db.session.commit()
    return m


def base_form(meeting, **extra):
    data = {
        "version": str(meeting.version),
        "day": "2024-03-05",
        "start_time": "18:00",
        "end_time": "20:00",
        "place": "Salle A",
        "status": "held",
        "author": str(meeting.author_id or ""),
        "objective": "Préparer l'avis",
        "exchanges": "Texte des **échanges**",
    }
    data.update(extra)
    return data


def post(client, meeting, data):
    return client.post(f"/admin/meeting/minutes/?id={meeting.id}", data=data)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"end_time": "17:00"}, "La fin précède le début."),
        ({"day": ""}, "La date de la réunion est requise."),
        ({"day": "31/02/2024"}, "N&#39;est pas une date valide."),
        (
            {"decisions-0-text": "  ", "decisions-0-asap": "y"},
            "Le texte de la décision est requis.",
        ),
        (
            {
                "decisions-0-text": "Décider",
                "decisions-0-asap": "y",
                "decisions-0-due_on": "2024-04-01",
            },
            "Choisissez une date ou « dès que possible », pas les deux.",
        ),
        (
            {"actions-0-due_on": "2024-04-01", "actions-0-status": "todo"},
            "L&#39;intitulé de l&#39;action est requis.",
        ),
        (
            {"next_day": "2024-03-01", "next_time": "18:00"},
            "La prochaine réunion doit être postérieure à celle-ci.",
        ),
        ({"documents_url": "pas une adresse"}, "Adresse web invalide"),
    ],
)
def test_bad_input_gives_french_field_error_and_keeps_input(
    admin_client, db, meeting, extra, message
):
    data = base_form(meeting, **extra)
    response = post(admin_client, meeting, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert "is-invalid" in html
    # What was typed is still there.
    assert "Texte des **échanges**" in html
    assert "Préparer l&#39;avis" in html
    db.session.expire_all()
    fresh = db.session.get(Meeting, meeting.id)
    assert fresh.exchanges is None and fresh.version == 1
    assert db.session.execute(sa.select(sa.func.count(Meeting.id))).scalar() == 1


def test_add_row_buttons_keep_input_without_saving(admin_client, db, meeting):
    data = base_form(meeting, **{"decisions-0-text": "Première décision"})
    response = post(admin_client, meeting, {**data, "add_decision": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Première décision" in html and 'name="decisions-1-text"' in html
    response = post(admin_client, meeting, {**data, "add_action": "1"})
    assert 'name="actions-0-title"' in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Decision.id))).scalar() == 0


def test_edits_decisions_and_actions_and_deletes_them(admin_client, db, meeting):
    data = base_form(
        meeting,
        **{
            "decisions-0-text": "Décision A",
            "decisions-0-due_on": "2024-04-01",
            "decisions-1-text": "Décision B",
            "decisions-1-asap": "y",
            "actions-0-title": "Action A",
            "actions-0-owner": str(meeting.author_id),
            "actions-0-due_on": "2024-04-10",
            "actions-0-status": "todo",
        },
    )
    assert post(admin_client, meeting, data).status_code == 302
    db.session.expire_all()
    m = db.session.get(Meeting, meeting.id)
    assert [(d.text, d.due_on, d.asap) for d in m.decisions] == [
        ("Décision A", date(2024, 4, 1), False),
        ("Décision B", None, True),
    ]
    action = db.session.execute(sa.select(Action)).scalar_one()
    assert action.owner_id == meeting.author_id and action.group_id == m.group_id
    assert m.version == 2 and m.exchanges == "Texte des **échanges**"

    # The form shows the records; delete decision A, mark the action done.
    page = admin_client.get(f"/admin/meeting/minutes/?id={m.id}").get_data(as_text=True)
    assert "Décision A" in page and 'name="decisions-2-text"' in page
    a_id = next(d.id for d in m.decisions if d.text == "Décision A")
    b_id = next(d.id for d in m.decisions if d.text == "Décision B")
    data = base_form(
        m,
        **{
            "decisions-0-id": str(a_id),
            "decisions-0-text": "Décision A",
            "decisions-0-delete": "y",
            "decisions-1-id": str(b_id),
            "decisions-1-text": "Décision B modifiée",
            "decisions-1-asap": "y",
            "actions-0-id": str(action.id),
            "actions-0-title": "Action A",
            "actions-0-owner": "",
            "actions-0-status": "done",
        },
    )
    assert post(admin_client, m, data).status_code == 302
    db.session.expire_all()
    m = db.session.get(Meeting, meeting.id)
    assert [d.text for d in m.decisions] == ["Décision B modifiée"]
    action = db.session.get(Action, action.id)
    assert action.status == ActionStatus.done and action.done_on == date.today()
    assert action.owner_id is None and action.due_on is None


def test_stale_form_is_refused_and_input_kept(admin_client, db, meeting):
    data = base_form(meeting, exchanges="Ma version")
    meeting.version = 5  # someone saved in between
    db.session.commit()
    response = post(admin_client, meeting, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "modifiée par quelqu&#39;un d&#39;autre" in html
    assert "Ma version" in html and 'value="5"' in html
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).exchanges is None
    # Submitting again (with the new version) applies it.
    assert post(admin_client, meeting, {**data, "version": "5"}).status_code == 302


def test_next_meeting_created_then_updated(admin_client, db, meeting):
    data = base_form(
        meeting,
        next_day="2024-04-09",
        next_time="12:30",
        next_place="CDPL",
        next_documents_url="https://drive.example.org/x",
    )
    assert post(admin_client, meeting, data).status_code == 302
    db.session.expire_all()
    m = db.session.get(Meeting, meeting.id)
    nxt = m.next_meeting
    assert nxt.group_id == m.group_id and nxt.status == MeetingStatus.planned
    assert nxt.local_start == datetime(2024, 4, 9, 12, 30, tzinfo=PARIS)
    assert nxt.place == "CDPL" and nxt.documents_url == "https://drive.example.org/x"
    # Saving again moves the same record rather than creating another.
    data = base_form(m, next_day="2024-04-16", next_time="12:30", next_place="CDPL")
    assert post(admin_client, m, data).status_code == 302
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count(Meeting.id))).scalar() == 2
    assert db.session.get(Meeting, nxt.id).local_start.day == 16


def test_open_actions_of_previous_meetings_reviewed_on_next(admin_client, db, meeting):
    old_done = Action(title="Déjà faite", meeting=meeting, status=ActionStatus.done)
    open_one = Action(title="Envoyer l'avis", meeting=meeting, asap=True)
    other_group = Meeting(
        group=WorkingGroup(name="Autre"),
        starts_at=datetime(2024, 3, 1, 18, 0, tzinfo=PARIS),
    )
    foreign = Action(title="Action d'un autre groupe", meeting=other_group)
    nxt = Meeting(
        group=meeting.group, starts_at=datetime(2024, 4, 9, 12, 30, tzinfo=PARIS)
    )
    db.session.add_all([old_done, open_one, foreign, nxt])
    db.session.commit()
    url = f"/admin/meeting/minutes/?id={nxt.id}"
    html = admin_client.get(url).get_data(as_text=True)
    section = html[html.index('id="actions-en-cours"') :]
    assert "Envoyer l&#39;avis" in section
    assert "Déjà faite" not in section and "autre groupe" not in section
    data = base_form(nxt, day="2024-04-09", start_time="12:30", end_time="")
    data[f"review-{open_one.id}"] = "done"
    assert admin_client.post(url, data=data).status_code == 302
    db.session.expire_all()
    closed = db.session.get(Action, open_one.id)
    assert closed.status == ActionStatus.done and closed.done_on == date.today()
    html = admin_client.get(url).get_data(as_text=True)
    assert 'id="actions-en-cours"' not in html


def test_markdown_is_sanitised_on_the_report(admin_client, db, meeting):
    meeting.exchanges = (
        "Bonjour <script>alert(1)</script> [lien](javascript:alert(2)) "
        "[ok](https://example.org)\n\n# Titre"
    )
    db.session.commit()
    html = admin_client.get(f"/admin/meeting/report/?id={meeting.id}").get_data(
        as_text=True
    )
    body = html[html.index('id="cr-exchanges"') : html.index('id="cr-decisions"')]
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert 'href="javascript' not in body
    assert '<a href="https://example.org" rel="noopener noreferrer">ok</a>' in body
    assert "<h3>Titre</h3>" in body


def test_generic_meeting_form_refuses_missing_date_and_end_before_start(
    admin_client, db, meeting
):
    response = admin_client.post(
        "/admin/meeting/new/",
        data={"kind": "working_group", "status": "planned", "place": "Ici"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "is-invalid" in html and 'value="Ici"' in html
    response = admin_client.post(
        "/admin/meeting/new/",
        data={
            "kind": "working_group",
            "status": "planned",
            "starts_at": "2024-05-01 18:00",
            "ends_at": "2024-05-01 17:00",
            "place": "Ici",
        },
    )
    assert "La fin précède le début." in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Meeting.id))).scalar() == 1
