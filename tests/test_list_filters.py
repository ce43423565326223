"""List filters people ask for (issue 14): amendments by plan, plan action and
meeting; members by group (current members); actions by owner."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.models import (
    Action,
    Amendment,
    AmendmentKind,
    Meeting,
    Member,
    Membership,
    Plan,
    PlanAction,
    WorkingGroup,
)


def listed(client, endpoint: str, **filters) -> set[int]:
    """Ids of the rows a list shows with these filters (by their URL names)."""
    response = client.get(
        f"/admin/{endpoint}/", query_string={f"flt0_{k}": v for k, v in filters.items()}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return {
        int(i)
        for i in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', html)
    }


def in_filter_choices(label: str, page: str) -> bool:
    """The filters' choices are in the page's JSON (Flask-Admin's filter script)."""
    return json.dumps(label)[1:-1] in page


def ids(db, stmt) -> set[int]:
    return set(db.session.execute(stmt).scalars())


@pytest.fixture
def two_plans(demo):
    """The demo's STN with its amendments (examined at the April meeting) and a
    second plan whose amendment is examined at the June meeting."""
    db = demo
    june = db.session.execute(
        sa.select(Meeting).order_by(Meeting.starts_at.desc())
    ).scalar()
    plan = Plan(name="Plan climat air énergie", short_name="PCAET")
    db.session.add(plan)
    db.session.flush()
    action = PlanAction(plan_id=plan.id, number=7, title="Rénovation")
    db.session.add(action)
    db.session.flush()
    other = Amendment(
        plan_action_id=action.id,
        kind=AmendmentKind.add,
        text="Ajouter un volet sur la sobriété.",
        meeting_id=june.id,
    )
    db.session.add(other)
    db.session.commit()
    return db, other


def test_amendments_by_plan(two_plans, admin_client):
    db, other = two_plans
    stn = db.session.execute(sa.select(Plan).where(Plan.short_name == "STN")).scalar()
    all_stn = ids(
        db,
        sa.select(Amendment.id).join(PlanAction).where(PlanAction.plan_id == stn.id),
    )
    assert len(all_stn) == 3
    assert listed(admin_client, "amendment", plan_est=stn.id) == all_stn
    assert listed(admin_client, "amendment", plan_est=other.plan_action.plan_id) == {
        other.id
    }
    # The choice lists the plans of the database as it is now.
    page = admin_client.get("/admin/amendment/").get_data(as_text=True)
    assert in_filter_choices("PCAET — Plan climat air énergie", page)
    # A value that is no plan id is ignored, never a 500.
    response = admin_client.get("/admin/amendment/?flt0_plan_est=abc")
    assert response.status_code == 200


def test_amendments_by_plan_action_words(two_plans, admin_client):
    db, other = two_plans
    seven = ids(
        db,
        sa.select(Amendment.id)
        .join(PlanAction)
        .join(Plan)
        .where(PlanAction.number == 7, Plan.short_name == "STN"),
    )
    assert len(seven) == 1
    words = "action_du_plan_contient_les_mots"
    assert listed(admin_client, "amendment", **{words: "stn 7"}) == seven
    assert listed(admin_client, "amendment", **{words: "STN action 7"}) == seven
    # "7" alone: the action 7 of both plans.
    assert listed(admin_client, "amendment", **{words: "7"}) == seven | {other.id}
    assert listed(admin_client, "amendment", **{words: "pcaet"}) == {other.id}
    assert listed(admin_client, "amendment", **{words: "--"}) == set()


def test_amendments_by_meeting_words(two_plans, admin_client):
    db, other = two_plans
    april = ids(
        db,
        sa.select(Amendment.id)
        .where(Amendment.meeting_id.is_not(None))
        .where(Amendment.id != other.id),
    )
    words = "runion_dexamen_contient_les_mots"
    assert listed(admin_client, "amendment", **{words: "innovation 16/04"}) == april
    assert listed(admin_client, "amendment", **{words: "NUMERIQUE 11/06/2019"}) == {
        other.id
    }
    assert listed(admin_client, "amendment", **{words: "numérique 2019"}) == april | {
        other.id
    }
    assert listed(admin_client, "amendment", **{words: "numérique 2018"}) == set()


def test_members_by_group_are_its_current_members(demo, admin_client):
    db = demo
    group = db.session.execute(sa.select(WorkingGroup)).scalar()
    current = ids(
        db, sa.select(Membership.member_id).where(Membership.group_id == group.id)
    )
    assert current
    former = Member(first_name="Ancienne", last_name="Participante")
    outsider = Member(first_name="Jamais", last_name="Venue")
    other_group = WorkingGroup(name="Mobilités")
    db.session.add_all([former, outsider, other_group])
    db.session.flush()
    yesterday = date.today() - timedelta(days=1)
    db.session.add_all(
        [
            Membership(member_id=former.id, group_id=group.id, until=yesterday),
            Membership(member_id=outsider.id, group_id=other_group.id),
        ]
    )
    db.session.commit()
    arg = "groupe_de_travail_en_est_membre_actuellement"
    assert listed(admin_client, "member", **{arg: group.id}) == current
    assert listed(admin_client, "member", **{arg: other_group.id}) == {outsider.id}
    page = admin_client.get("/admin/member/").get_data(as_text=True)
    assert in_filter_choices("Mobilités", page)


def test_actions_by_owner_words(demo, admin_client):
    db = demo
    # The demo's actions have no owner (the source names none): give one of
    # them a member of the demo as owner.
    owner = db.session.execute(sa.select(Member).order_by(Member.id)).scalars().first()
    first = db.session.execute(sa.select(Action).order_by(Action.id)).scalars().first()
    first.owner_id = owner.id
    other = Member(first_name="Autre", last_name="Responsable")
    db.session.add(other)
    db.session.flush()
    mine = Action(title="Une action d'un autre", owner_id=other.id)
    db.session.add(mine)
    db.session.commit()
    expected = ids(db, sa.select(Action.id).where(Action.owner_id == owner.id))
    typed = owner.last_name.upper()
    assert listed(admin_client, "action", responsable_contient_les_mots=typed) == (
        expected
    )
    assert listed(
        admin_client, "action", responsable_contient_les_mots="autre responsable"
    ) == {mine.id}


def test_filters_read_in_french(demo, admin_client):
    page = admin_client.get("/admin/amendment/").get_data(as_text=True)
    for label in (
        "Plan",
        "Action du plan",
        "Réunion d&#39;examen",
        "contient les mots",
    ):
        assert label in page, label
