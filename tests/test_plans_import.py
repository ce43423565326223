"""The plan's own spreadsheet (number, title, axis, budget in French format) is
imported into the plan chosen on the import screen (issue 16)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.models import Plan, PlanAction
from tests.test_imports import confirm, review_url, upload

SHEET = (
    "N°;Intitulé;Axe;Budget\n"
    "12;Accompagnement social aux usages numériques;Inclusion;150 000 €\n"
    "14;Médiation numérique;Inclusion;30 k€\n"
    "15;Action transverse;Transversal;1,5 M€\n"
).encode()


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))


def test_plan_sheet_with_french_budgets(admin_client, db):
    plan = Plan(name="Schéma Territorial du Numérique", short_name="STN")
    db.session.add(plan)
    db.session.commit()
    page = admin_client.get("/admin/imports/").get_data(as_text=True)
    assert 'name="plan_id"' in page and "STN — Schéma Territorial" in page
    url = review_url(
        upload(admin_client, SHEET, kind="actions-plan", plan_id=str(plan.id))
    )
    html = admin_client.get(url).get_data(as_text=True)
    assert "Plan : <strong>STN — Schéma Territorial du Numérique</strong>" in html
    assert "3 création(s)" in html
    confirm(admin_client, url, html)
    rows = db.session.execute(
        sa.select(PlanAction.number, PlanAction.axis, PlanAction.budget)
        .where(PlanAction.plan_id == plan.id)
        .order_by(PlanAction.number)
    ).all()
    assert rows == [
        (12, "Inclusion", Decimal("150000.00")),
        (14, "Inclusion", Decimal("30000.00")),
        (15, "Transversal", Decimal("1500000.00")),
    ]


def test_without_a_plan_column_or_choice_each_row_says_so(admin_client, db):
    url = review_url(upload(admin_client, SHEET, kind="actions-plan"))
    html = admin_client.get(url).get_data(as_text=True)
    assert "Plan manquant : ajoutez une colonne « Plan »" in html
    bad = SHEET.replace("30 k€".encode(), b"beaucoup")
    db.session.add(Plan(name="P"))
    db.session.commit()
    plan_id = db.session.execute(sa.select(Plan.id)).scalar_one()
    url = review_url(
        upload(admin_client, bad, kind="actions-plan", plan_id=str(plan_id))
    )
    html = admin_client.get(url).get_data(as_text=True)
    assert "Montant invalide « beaucoup »" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanAction)) == 0
