"""Bad input gives a French message next to the field and keeps what was typed."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from app.models import Attendance, Meeting, Member, Plan, PlanAction


def _post(client, url, data):
    response = client.post(url, data=data, follow_redirects=False)
    assert response.status_code in (200, 302), response.status_code
    return response, response.get_data(as_text=True)


MEMBER = {
    "first_name": "Anaïs",
    "last_name": "Le Guénnec",
    "email": "",
    "phone": "",
    "role": "member",
}


def test_member_required_field_is_reported_and_input_kept(admin_client, db):
    response, html = _post(
        admin_client, "/admin/member/new/", {**MEMBER, "last_name": ""}
    )
    assert response.status_code == 200
    assert "Ce champ est requis" in html
    assert 'value="Anaïs"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 0


def test_member_length_is_enforced_by_the_form(admin_client, db):
    _, html = _post(
        admin_client, "/admin/member/new/", {**MEMBER, "first_name": "A" * 101}
    )
    assert "100 caractères" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 0


def test_email_syntax_and_case_insensitive_uniqueness(admin_client, db, make_member):
    _, html = _post(
        admin_client, "/admin/member/new/", {**MEMBER, "email": "pas-un-courriel"}
    )
    assert "Adresse électronique invalide" in html
    assert 'value="pas-un-courriel"' in html

    make_member(email="eric.soudy@example.org")
    response, html = _post(
        admin_client,
        "/admin/member/new/",
        {**MEMBER, "email": "Eric.Soudy@Example.org"},
    )
    assert response.status_code == 200
    assert "déjà utilisée" in html
    assert "IntegrityError" not in html and "UNIQUE" not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 1


def test_email_and_phone_are_normalised(admin_client, db):
    response, _ = _post(
        admin_client,
        "/admin/member/new/",
        {
            **MEMBER,
            "email": "  Anais.LeGuennec@Example.ORG ",
            "phone": "02 97 12 34 56",
        },
    )
    assert response.status_code == 302
    member = db.session.execute(sa.select(Member)).scalar_one()
    assert member.email == "anais.leguennec@example.org"
    assert member.phone == "+33297123456"


def test_invalid_phone_is_refused(admin_client, db):
    _, html = _post(admin_client, "/admin/member/new/", {**MEMBER, "phone": "12 34"})
    assert "Numéro de téléphone invalide" in html
    assert 'value="12 34"' in html


def test_meeting_end_before_start(admin_client, db):
    data = {
        "kind": "working_group",
        "status": "planned",
        "starts_at": "2019-04-16 12:30",
        "ends_at": "2019-04-16 10:00",
        "place": "CDPL",
    }
    _, html = _post(admin_client, "/admin/meeting/new/", data)
    assert "La fin précède le début." in html
    assert "2019-04-16 10:00" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_meeting_without_date(admin_client, db):
    data = {
        "kind": "working_group",
        "status": "planned",
        "starts_at": "",
        "place": "CDPL",
    }
    _, html = _post(admin_client, "/admin/meeting/new/", data)
    assert "Ce champ est requis" in html
    assert 'value="CDPL"' in html


def test_same_member_twice_in_attendance(admin_client, db, make_member):
    member = make_member()
    data = {
        "kind": "working_group",
        "status": "held",
        "starts_at": "2019-04-16 12:30",
        "attendances-0-member": str(member.id),
        "attendances-0-status": "present",
        "attendances-1-member": str(member.id),
        "attendances-1-status": "excused",
    }
    response, html = _post(admin_client, "/admin/meeting/new/", data)
    assert response.status_code == 200
    assert "figure déjà dans la liste de présence" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0


def test_meeting_times_are_paris_and_stored_utc(admin_client, db):
    data = {
        "kind": "working_group",
        "status": "planned",
        "starts_at": "2019-06-11 12:30",
    }
    response, _ = _post(admin_client, "/admin/meeting/new/", data)
    assert response.status_code == 302
    meeting = db.session.execute(sa.select(Meeting)).scalar_one()
    assert (
        meeting.starts_at.hour == 10
        and meeting.starts_at.utcoffset().total_seconds() == 0
    )
    html = admin_client.get("/admin/meeting/").get_data(as_text=True)
    assert "11/06/2019 12:30" in html


def test_negative_budget_and_duplicate_number(admin_client, db):
    plan = Plan(name="Schéma Territorial du Numérique", short_name="STN")
    db.session.add(plan)
    db.session.flush()
    db.session.add(
        PlanAction(plan=plan, number=12, title="Action 12", budget=Decimal(1))
    )
    db.session.commit()
    _, html = _post(
        admin_client,
        "/admin/plan_action/new/",
        {"plan": str(plan.id), "number": "13", "title": "Action 13", "budget": "-5"},
    )
    assert "La valeur doit être positive." in html
    response, html = _post(
        admin_client,
        "/admin/plan_action/new/",
        {"plan": str(plan.id), "number": "12", "title": "Doublon", "budget": "10"},
    )
    assert response.status_code == 200
    assert "Un enregistrement existe déjà" in html
    assert 'value="Doublon"' in html or "Doublon" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanAction)) == 1
