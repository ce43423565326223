"""The plan page: actions in order, budgets and shares, the rebalancing, progress,
indicators and follow-up actions, in a bounded number of queries (issue 16)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db as _db
from app.models import (
    Action,
    ActionStatus,
    Amendment,
    AmendmentKind,
    AmendmentStatus,
    Indicator,
    Measurement,
    Plan,
    PlanAction,
    ProgressStatus,
)
from app.plans.money import NNBSP
from app.plans.page import build_plan_page, weighted_progress
from app.plans.trajectory import TrackStatus
from tests.plans_support import amendment_of, indicator_with_five_measurements, stn


def _euros(text: str) -> str:
    return text.replace(" ", NNBSP)


def test_plan_page_lists_actions_in_number_order_with_shares(admin_client, demo):
    plan, actions = stn(demo)
    html = admin_client.get(f"/admin/plan/page/?id={plan.id}").get_data(as_text=True)
    assert "Schéma Territorial du Numérique" in html and "Lorient Agglomération" in html
    positions = [html.index(f'id="action-{n}"') for n in (7, 12, 13, 14)]
    assert positions == sorted(positions)
    # 150 000 + 30 000 = 180 000; action 12 is 83,3 % of it.
    assert _euros("180 000 €") in html
    assert _euros("150 000 €") in html and _euros("83,3 %") in html
    assert _euros("16,7 %") in html
    # The demo's amendments (retained by the group) are counted per action.
    assert "retenu par le groupe 1" in html


def test_the_25_percent_share_and_the_rebalancing(admin_client, demo):
    plan, actions = stn(demo)
    twelve = amendment_of(demo, actions[12])
    twelve.proposed_share = Decimal(25)
    demo.session.add(
        Amendment(
            plan_action=actions[14],
            kind=AmendmentKind.complete,
            text="… et action transverse d'accompagnement.",
            proposed_budget=Decimal(135000),
        )
    )
    demo.session.commit()
    page = build_plan_page(plan)
    rb = page.rebalancing
    assert [(c.action.number, c.current, c.proposed) for c in rb.changes] == [
        (12, Decimal(150000), Decimal("45000.00")),
        (14, Decimal(30000), Decimal(135000)),
    ]
    assert rb.current_total == Decimal(180000) and rb.delta == 0
    html = admin_client.get(f"/admin/plan/page/?id={plan.id}").get_data(as_text=True)
    section = html[html.index('id="plan-rebalancing"') :]
    assert _euros("45 000 €") in section and _euros("135 000 €") in section
    assert f"25{NNBSP}% du budget total (180{NNBSP}000{NNBSP}€)" in section
    assert "total inchangé" in section
    # A rejected amendment no longer weighs on the budget.
    amendment_of(demo, actions[12]).status = AmendmentStatus.rejected
    demo.session.commit()
    rb = build_plan_page(plan).rebalancing
    assert [c.action.number for c in rb.changes] == [14]
    assert rb.delta == Decimal(105000)


def test_a_plan_without_budgets_shows_no_share_and_no_error(admin_client, db):
    plan = Plan(name="Plan sans budget")
    db.session.add(plan)
    db.session.add(PlanAction(plan=plan, number=1, title="Une action"))
    db.session.add(PlanAction(plan=plan, number=2, title="Autre", budget=Decimal(0)))
    db.session.commit()
    page = build_plan_page(plan)
    assert page.total == 0 and page.weighted_progress is None
    assert all(r.share is None for r in page.rows)
    response = admin_client.get(f"/admin/plan/page/?id={plan.id}")
    assert response.status_code == 200
    assert "aucune action n'a à la fois un budget" in response.get_data(as_text=True)


def test_progress_bars_and_the_budget_weighted_total(admin_client, demo):
    plan, actions = stn(demo)
    actions[12].progress_status = ProgressStatus.in_progress
    actions[12].progress_percent = 40
    actions[12].progress_on = date(2020, 3, 1)
    actions[14].progress_status = ProgressStatus.done
    demo.session.commit()
    # (150 000 × 40 + 30 000 × 100) / 180 000 = 50 %
    assert weighted_progress(list(actions.values())) == Decimal("50.0")
    html = admin_client.get(f"/admin/plan/page/?id={plan.id}").get_data(as_text=True)
    assert 'aria-valuenow="40"' in html and 'aria-valuenow="50"' in html
    assert "au 01/03/2020" in html and "Réalisée" in html
    actions[14].progress_status = ProgressStatus.abandoned
    demo.session.commit()
    assert weighted_progress(list(actions.values())) == Decimal("40.0")


def test_filters_narrow_the_rows_not_the_totals(admin_client, demo):
    plan, actions = stn(demo)
    actions[12].axis = "Inclusion"
    actions[14].axis = "Inclusion"
    actions[7].axis = "Données"
    actions[12].progress_status = ProgressStatus.in_progress
    demo.session.commit()
    html = admin_client.get(f"/admin/plan/page/?id={plan.id}&axis=Inclusion").get_data(
        as_text=True
    )
    assert 'id="action-12"' in html and 'id="action-14"' in html
    assert 'id="action-7"' not in html
    assert "Actions (2 sur 4)" in html
    axes = html[html.index('id="plan-axes"') :]
    assert "Données" in axes and _euros("180 000 €") in axes
    html = admin_client.get(
        f"/admin/plan/page/?id={plan.id}&status=in_progress"
    ).get_data(as_text=True)
    assert 'id="action-12"' in html and 'id="action-14"' not in html
    # Unknown filter values are ignored, never an error.
    response = admin_client.get(f"/admin/plan/page/?id={plan.id}&status=x&axis=inconnu")
    assert response.status_code == 200
    for bad in ("abc", "0", "-1", "99999999999", "999999"):
        assert admin_client.get(f"/admin/plan/page/?id={bad}").status_code == 404


def test_indicators_and_follow_up_actions_per_action(admin_client, demo):
    plan, actions = stn(demo)
    off = indicator_with_five_measurements(
        demo, actions[14], last=Decimal(41), start=2020
    )
    demo.session.add(
        Action(
            title="Définir des indicateurs pour le suivi du STN (action 14)",
            plan_action=actions[14],
            status=ActionStatus.in_progress,
        )
    )
    demo.session.commit()
    page = build_plan_page(plan, today=date(2024, 2, 1))
    row = next(r for r in page.rows if r.action.number == 14)
    assert [c.track.status for c in row.indicators] == [TrackStatus.off_track]
    assert [c.indicator.id for c in page.off_track] == [off.id]
    assert [f.title for f in row.followups.shown] == [
        "Définir des indicateurs pour le suivi du STN (action 14)"
    ]
    assert (row.followups.open, row.followups.total) == (1, 1)
    html = admin_client.get(f"/admin/plan/page/?id={plan.id}").get_data(as_text=True)
    assert 'class="cdpl-sparkline" role="img"' in html
    assert f"/admin/indicator/chart/?id={off.id}" in html


def _count_queries(client, url):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(_db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements)


def _grow(db, plan, start, count):
    for n in range(start, start + count):
        action = PlanAction(
            plan=plan,
            number=n,
            title=f"Action {n}",
            axis=f"Axe {n % 3}",
            budget=Decimal(1000 * n),
        )
        db.session.add(action)
        for k in range(4):
            indicator = Indicator(
                plan_action=action,
                name=f"Indicateur {n}-{k}",
                unit="%",
                target=Decimal(10),
                target_on=date(2030, 1, 1),
            )
            db.session.add(indicator)
            for month in range(1, 15):
                db.session.add(
                    Measurement(
                        indicator=indicator,
                        measured_on=date(2023 + month // 12, month % 12 + 1, 1),
                        value=Decimal(month),
                    )
                )
        db.session.add(
            Amendment(
                plan_action=action,
                kind=AmendmentKind.replace,
                text="Texte",
                proposed_budget=Decimal(5),
            )
        )
        db.session.add(Action(title=f"Suivi {n}", plan_action=action))
    db.session.commit()


def test_the_page_runs_a_fixed_number_of_queries(admin_client, db):
    plan = Plan(name="Plan du banc")
    db.session.add(plan)
    _grow(db, plan, 1, 1)
    url = f"/admin/plan/page/?id={plan.id}"
    admin_client.get(url)  # the first request of a session loads more
    _grow(db, plan, 2, 1)
    small = _count_queries(admin_client, url)
    _grow(db, plan, 3, 18)
    large = _count_queries(admin_client, url)
    assert small == large <= 12, (small, large)
    assert build_plan_page(plan).action_count == 20


def test_the_menu_leads_to_the_plan_page(admin_client, demo):
    plan, _ = stn(demo)
    board = admin_client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/plans/"' in board  # "Vue d'ensemble" in the plans menu
    html = admin_client.get("/admin/plans/").get_data(as_text=True)
    assert f'href="/admin/plan/page/?id={plan.id}"' in html
    assert "180\u202f000\u202f€" in html
    listing = admin_client.get("/admin/plan/").get_data(as_text=True)
    assert f'href="/admin/plan/page/?id={plan.id}"' in listing
