"""Journeys of the "Personnes" area, checked in the database afterwards."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.e2e.helpers import (
    add_inline,
    assert_accessible,
    expect_saved,
    fill_date,
    inline_id,
    save_form,
    select2_choose,
    select2_value,
)


def _seed_colleges(e2e_db) -> None:
    from app.models import College

    with e2e_db.session() as session:
        session.add_all(
            [
                College(name="Citoyens", position=1),
                College(name="Associations", position=2),
            ]
        )
        session.commit()


MEMBERS = [
    # first, last, e-mail as typed, phone as typed, college, role
    (
        "Solenn",
        "Bréhaut",
        "Solenn.Brehaut@Example.org",
        "02 97 12 34 56",
        "Associations",
        "Bureau",
    ),
    (
        "Pascal",
        "Goyet",
        "pascal.goyet@example.org",
        "06 12 34 56 78",
        "Citoyens",
        "Membre",
    ),
    ("Florian", "Le Berre", "", "", "Citoyens", "Présidence"),
]


def test_create_organisation_then_three_members(page, e2e_db):
    from app.models import Member, MemberRole, Organisation, OrganisationKind

    _seed_colleges(e2e_db)

    page.goto("/admin/organisation/new/")
    page.locator("#name").fill("Eau et Rivières de Bretagne")
    select2_choose(page, "kind", "Association")
    page.locator("#town").fill("Lorient")
    save_form(page)
    expect_saved(page)
    assert (
        "Eau et Rivières de Bretagne" in page.locator("table.model-list").inner_text()
    )

    with e2e_db.session() as session:
        organisation = session.execute(sa.select(Organisation)).scalar_one()
        assert (organisation.name, organisation.kind, organisation.town) == (
            "Eau et Rivières de Bretagne",
            OrganisationKind.association,
            "Lorient",
        )
        organisation_id = organisation.id

    for first, last, email, phone, college, role in MEMBERS:
        page.goto("/admin/member/new/")
        page.locator("#first_name").fill(first)
        page.locator("#last_name").fill(last)
        page.locator("#email").fill(email)
        page.locator("#phone").fill(phone)
        select2_choose(page, "organisation", "Rivières", "Eau et Rivières de Bretagne")
        select2_choose(page, "college", college[:4], college)
        select2_choose(page, "role", role)
        fill_date(page, "joined_on", "2019-01-15")
        assert select2_value(page, "organisation") == str(organisation_id)
        save_form(page)
        expect_saved(page)
    assert_accessible(page, "liste des membres après ajout")

    with e2e_db.session() as session:
        members = {m.last_name: m for m in session.execute(sa.select(Member)).scalars()}
        assert sorted(members) == ["Bréhaut", "Goyet", "Le Berre"]
        assert all(m.organisation_id == organisation_id for m in members.values())
        solenn = members["Bréhaut"]
        # Stored normalised: e-mail lower-cased, phone in E.164.
        assert solenn.email == "solenn.brehaut@example.org"
        assert solenn.phone == "+33297123456"
        assert solenn.role is MemberRole.bureau
        assert solenn.college.name == "Associations"
        assert solenn.joined_on == date(2019, 1, 15)
        florian = members["Le Berre"]
        assert (florian.email, florian.phone) == (None, None)
        assert florian.role is MemberRole.presidency


def _seed_members(e2e_db) -> dict[str, int]:
    from app.models import Member

    with e2e_db.session() as session:
        people = [
            Member(first_name="Eric", last_name="Soudy"),
            Member(first_name="Serge", last_name="Fraillon"),
            Member(first_name="Jean", last_name="Verger"),
        ]
        session.add_all(people)
        session.commit()
        return {m.last_name: m.id for m in people}


def test_create_working_group_with_memberships(page, e2e_db):
    from app.models import GroupRole, WorkingGroup

    ids = _seed_members(e2e_db)
    page.goto("/admin/working_group/new/")
    page.locator("#name").fill("Innovation sociale numérique")
    page.locator("#description").fill("Avis sur le Schéma Territorial du Numérique.")
    page.locator("#active").check()
    rows = [
        ("Soudy", "Animateur·rice"),
        ("Fraillon", "Rapporteur·e"),
        ("Verger", "Membre"),
    ]
    for last_name, role in rows:
        row = add_inline(page, "memberships")
        select2_choose(page, inline_id("memberships", row, "member"), last_name)
        select2_choose(page, inline_id("memberships", row, "role"), role)
        fill_date(page, inline_id("memberships", row, "since"), "2019-04-16")
    assert_accessible(page, "groupe avec participations")
    save_form(page)
    expect_saved(page)

    with e2e_db.session() as session:
        group = session.execute(sa.select(WorkingGroup)).scalar_one()
        assert group.name == "Innovation sociale numérique"
        assert group.active is True
        got = {(m.member_id, m.role, m.since) for m in group.memberships}
        assert got == {
            (ids["Soudy"], GroupRole.lead, date(2019, 4, 16)),
            (ids["Fraillon"], GroupRole.rapporteur, date(2019, 4, 16)),
            (ids["Verger"], GroupRole.member, date(2019, 4, 16)),
        }
