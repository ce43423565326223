"""Bad input on the plan screens: a French message next to the field, input kept
(issue 16)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.models import Amendment, Indicator, Measurement
from tests.plans_support import stn


def _post(client, url, data):
    response = client.post(url, data=data)
    assert response.status_code in (200, 302), response.status_code
    return response, response.get_data(as_text=True)


def _amendment(actions, **values):
    return {
        "plan_action": str(actions[12].id),
        "kind": "replace",
        "text": "Nouveau texte",
        **values,
    }


def _count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_share_above_100_or_negative(admin_client, demo):
    _, actions = stn(demo)
    before = _count(demo, Amendment)
    for share in ("120", "-5 %"):
        response, html = _post(
            admin_client,
            "/admin/amendment/new/",
            _amendment(actions, proposed_share=share),
        )
        assert response.status_code == 200
        assert "La part doit être comprise entre 0 et 100 %." in html
        assert f'value="{share}"' in html
        assert "Nouveau texte</textarea>" in html
    _, html = _post(
        admin_client,
        "/admin/amendment/new/",
        _amendment(actions, proposed_share="beaucoup"),
    )
    assert "Pourcentage invalide « beaucoup »" in html
    assert _count(demo, Amendment) == before


def test_replace_with_an_empty_text(admin_client, demo):
    _, actions = stn(demo)
    before = _count(demo, Amendment)
    _, html = _post(
        admin_client,
        "/admin/amendment/new/",
        _amendment(actions, text="   ", rationale="Ma justification"),
    )
    # The text column is required: blank text is refused next to the field
    # before the kind's own rule (issue 22's check of every required text).
    from app.admin.fields import REQUIRED_MESSAGE

    assert (
        "Un amendement « remplacer » a besoin du texte proposé." in html
        or REQUIRED_MESSAGE in html
    )
    assert "Ma justification" in html
    assert _count(demo, Amendment) == before


def test_budget_and_share_together_and_unreadable_budget(admin_client, demo):
    _, actions = stn(demo)
    _, html = _post(
        admin_client,
        "/admin/amendment/new/",
        _amendment(actions, proposed_share="25", proposed_budget="45 000 €"),
    )
    assert "soit un budget, soit une part" in html
    _, html = _post(
        admin_client,
        "/admin/amendment/new/",
        _amendment(actions, proposed_budget="cher"),
    )
    assert "Montant invalide « cher »" in html and 'value="cher"' in html


def test_plan_action_budget_in_french_and_progress_range(admin_client, demo):
    plan, actions = stn(demo)
    data = {
        "plan": str(plan.id),
        "number": "15",
        "title": "Action transverse",
        "budget": "30 k€",
        "progress_status": "in_progress",
        "progress_percent": "120",
    }
    _, html = _post(admin_client, "/admin/plan_action/new/", data)
    assert "L&#39;avancement va de 0 à 100 %." in html
    assert 'value="30 k€"' in html
    response, _ = _post(
        admin_client, "/admin/plan_action/new/", {**data, "progress_percent": "40"}
    )
    assert response.status_code == 302
    _, actions = stn(demo)
    assert actions[15].budget == Decimal(30000)


def _indicator_form(actions, **values):
    return {
        "plan_action": str(actions[12].id),
        "name": "Personnes accompagnées",
        "unit": "personnes",
        "baseline": "100",
        "baseline_on": "2020-01-01",
        "target": "500",
        "target_on": "2025-12-31",
        "direction": "up",
        **values,
    }


def test_indicator_without_unit_or_with_target_before_baseline(admin_client, demo):
    _, actions = stn(demo)
    before = _count(demo, Indicator)
    _, html = _post(
        admin_client, "/admin/indicator/new/", _indicator_form(actions, unit="")
    )
    assert "L&#39;unité est requise" in html
    assert 'value="Personnes accompagnées"' in html
    _, html = _post(
        admin_client,
        "/admin/indicator/new/",
        _indicator_form(actions, target_on="2019-06-30"),
    )
    assert "L&#39;échéance de la cible précède la date de référence." in html
    assert _count(demo, Indicator) == before


def test_measurement_before_baseline_or_twice_on_one_date(admin_client, demo):
    _, actions = stn(demo)
    indicator = Indicator(
        plan_action=actions[12],
        name="Ateliers",
        unit="ateliers",
        baseline_on=date(2020, 1, 1),
    )
    demo.session.add(indicator)
    demo.session.add(
        Measurement(indicator=indicator, measured_on=date(2021, 1, 1), value=Decimal(3))
    )
    demo.session.commit()
    form = {"indicator": str(indicator.id), "measured_on": "2019-12-31", "value": "4"}
    _, html = _post(admin_client, "/admin/measurement/new/", form)
    assert (
        "La mesure précède la date de référence de l&#39;indicateur (01/01/2020)."
        in html
    )
    assert 'value="2019-12-31"' in html
    _, html = _post(
        admin_client, "/admin/measurement/new/", {**form, "measured_on": "2021-01-01"}
    )
    assert "Cet indicateur a déjà une mesure à cette date." in html
    assert _count(demo, Measurement) == 1


def test_budget_boxes_accept_french_text_in_the_browser(admin_client, demo):
    """A type="number" box would refuse "150 000 €" before the server sees it."""
    html = admin_client.get("/admin/plan_action/new/").get_data(as_text=True)
    box = html[html.index('id="budget"') - 200 : html.index('id="budget"') + 200]
    assert 'type="text"' in box and 'inputmode="decimal"' in box
    html = admin_client.get("/admin/amendment/new/").get_data(as_text=True)
    for name in ("proposed_budget", "proposed_share"):
        box = html[html.index(f'id="{name}"') - 200 : html.index(f'id="{name}"') + 200]
        assert 'type="number"' not in box, name
