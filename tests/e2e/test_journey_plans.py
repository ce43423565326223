"""Journey of issue 16: the source's plan, its actions and budgets and the three
amendments entered in the browser; the plan page shows the 25 % share and the
rebalancing, the avis lists the amendments in the source's wording, and an
indicator measured five times shows its chart, off track."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from tests.e2e.helpers import (
    assert_accessible,
    expect_saved,
    save_form,
    select2_choose,
    text_of,
)

#: text_of() folds every space, the narrow no-break ones of amounts included.
NNBSP = " "
ACTIONS = [
    (7, "Définir une stratégie de diffusion des données publiques", ""),
    (12, "Recenser les initiatives de développement social", "150 000 €"),
    (13, "Favoriser le développement des outils numériques", ""),
    (14, "Médiation numérique", "30 k€"),
]
AMENDMENTS = [
    (
        7,
        "Diffusion",
        "Compléter",
        "Définir une stratégie de diffusion des données publiques, particulièrement "
        "celles contribuant à la transparence et à la démocratie citoyenne.",
        "",
    ),
    (
        12,
        "Recenser",
        "Remplacer",
        "Recenser les initiatives d'accompagnement social aux apprentissages et "
        "usages de base de l'informatique connectée et les conforter par des "
        "dispositifs de soutien financier à hauteur de 25% du budget total qui sera "
        "mobilisé dans le cadre du STN.",
        "25",
    ),
    (
        13,
        "Favoriser",
        "Compléter",
        "Favoriser le développement des outils numériques sur des solutions "
        "innovantes et encourager l'usage des logiciels libres et des formats ouverts.",
        "",
    ),
]


def _seed(e2e_db) -> None:
    from app.models import Member, Organisation, OrganisationKind

    with e2e_db.session() as session:
        session.add(
            Organisation(
                name="Lorient Agglomération", kind=OrganisationKind.local_authority
            )
        )
        session.add(Member(first_name="Philippe", last_name="Ladame"))
        session.commit()


def test_source_plan_amendments_rebalancing_and_avis(page, e2e_db):
    from app.models import Amendment, AmendmentStatus, Plan, PlanAction

    _seed(e2e_db)
    page.goto("/admin/plan/new/")
    page.locator("#name").fill("Schéma Territorial du Numérique")
    page.locator("#short_name").fill("STN")
    select2_choose(page, "owner", "Lorient", "Lorient Agglomération")
    save_form(page)
    expect_saved(page)

    for number, title, budget in ACTIONS:
        page.goto("/admin/plan_action/new/")
        select2_choose(page, "plan", "STN", "STN — Schéma Territorial du Numérique")
        page.locator("#number").fill(str(number))
        page.locator("#title").fill(title)
        page.locator("#budget").fill(budget)
        save_form(page)
        expect_saved(page)

    for number, search, kind, text, share in AMENDMENTS:
        page.goto("/admin/amendment/new/")
        select2_choose(page, "plan_action", search, f"STN action {number}")
        select2_choose(page, "kind", kind)
        page.locator("#text").fill(text)
        page.locator("#proposed_share").fill(share)
        select2_choose(page, "proposed_by", "Lad", "Ladame")
        save_form(page)
        expect_saved(page)

    with e2e_db.session() as session:
        plan = session.execute(sa.select(Plan)).scalar_one()
        budgets = dict(
            session.execute(sa.select(PlanAction.number, PlanAction.budget)).all()
        )
        assert budgets == {
            7: None,
            12: Decimal("150000.00"),
            14: Decimal("30000.00"),
            13: None,
        }
        ids = [
            a.id
            for a in session.execute(
                sa.select(Amendment).order_by(Amendment.id)
            ).scalars()
        ]
        plan_id = plan.id
    assert len(ids) == 3

    # The amendment of action 12, read against the current title, side by side.
    page.goto(f"/admin/amendment/reading/?id={ids[1]}")
    assert "développement" in text_of(page, "#reading-before del")
    assert f"150{NNBSP}000{NNBSP}€ → 45{NNBSP}000{NNBSP}€" in text_of(
        page, "#amendment-budget"
    )
    assert_accessible(page, "lecture d'un amendement")
    for amendment_id in ids:
        page.goto(f"/admin/amendment/reading/?id={amendment_id}")
        with page.expect_navigation():
            page.get_by_role("button", name="Retenir par le groupe").click()
        assert "Retenu par le groupe" in text_of(page, "#amendment-status")
        assert "Proposé → Retenu par le groupe" in text_of(page, "#amendment-circuit")

    page.goto(f"/admin/plan/page/?id={plan_id}")
    assert f"Budget total : 180{NNBSP}000{NNBSP}€" in text_of(page, "#plan-header")
    rebalancing = text_of(page, "#plan-rebalancing")
    assert f"25{NNBSP}% du budget total (180{NNBSP}000{NNBSP}€)" in rebalancing
    assert f"45{NNBSP}000{NNBSP}€" in rebalancing
    assert f"−105{NNBSP}000{NNBSP}€" in rebalancing
    assert f"83,3{NNBSP}%" in text_of(page, "#action-12")
    assert_accessible(page, "page du plan")

    page.goto(f"/admin/plan/avis/?id={plan_id}")
    avis = text_of(page, "#avis-text")
    assert avis.startswith("En conséquence le CDPL suggère les amendements suivants :")
    assert "1) Compléter l'intitulé de l'action 7 comme suit : Définir" in avis
    assert "2) Remplacer l'intitulé de l'action 12 par recenser les initiatives" in avis
    assert "3) Compléter l'intitulé de l'action 13 comme suit : Favoriser" in avis
    assert_accessible(page, "amendements de l'avis")
    with e2e_db.session() as session:
        statuses = set(session.execute(sa.select(Amendment.status)).scalars())
        assert statuses == {AmendmentStatus.adopted_by_group}


def test_indicator_with_five_measurements_is_off_track(page, e2e_db):
    from app.models import Indicator, Measurement, Plan, PlanAction

    year = date.today().year - 4
    with e2e_db.session() as session:
        plan = Plan(name="Schéma Territorial du Numérique", short_name="STN")
        action = PlanAction(plan=plan, number=14, title="Médiation numérique")
        indicator = Indicator(
            plan_action=action,
            name="Lieux de médiation numérique",
            unit="lieux",
            baseline=Decimal(10),
            baseline_on=date(year, 1, 1),
            target=Decimal(50),
            target_on=date(year + 4, 1, 1),
        )
        session.add(indicator)
        for on, value in (
            (date(year + 1, 1, 1), 20),
            (date(year + 2, 1, 1), 30),
            (date(year + 3, 1, 1), 40),
            (date(year + 3, 7, 1), 46),
            (date(year + 4, 1, 1), 41),
        ):
            session.add(
                Measurement(indicator=indicator, measured_on=on, value=Decimal(value))
            )
        session.commit()
        indicator_id, plan_id = indicator.id, plan.id

    page.goto(f"/admin/indicator/chart/?id={indicator_id}")
    assert "Hors trajectoire" in text_of(page, "#indicator-track")
    chart = page.get_by_role("img", name="Évolution de l'indicateur")
    assert chart.count() == 1
    assert page.locator("#indicator-chart circle.measure").count() == 5
    assert page.locator("#indicator-data tbody tr").count() == 7
    assert_accessible(page, "page d'un indicateur")
    page.goto(f"/admin/plan/page/?id={plan_id}")
    assert "Lieux de médiation numérique" in text_of(page, "#plan-off-track")
    assert page.locator("#action-14 svg.cdpl-sparkline").count() == 1
    page.goto("/admin/")
    assert "Lieux de médiation numérique" in text_of(page, "#dash-off-track")
