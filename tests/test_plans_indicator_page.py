"""The indicator page: a server-drawn SVG chart readable by screen readers, the same
data as a table, and the off-track flag on the page and the dashboard (issue 16)."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.plans_support import indicator_with_five_measurements, stn


def test_chart_of_five_measurements_with_title_desc_and_table(admin_client, demo):
    _, actions = stn(demo)
    indicator = indicator_with_five_measurements(demo, actions[14])
    html = admin_client.get(f"/admin/indicator/chart/?id={indicator.id}").get_data(
        as_text=True
    )
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg
    assert 'aria-labelledby="indicator-chart-title indicator-chart-desc"' in svg
    assert '<title id="indicator-chart-title">' in svg
    assert "5 mesures" in svg and "État : Sur la trajectoire." in svg
    # Five measurements, the baseline, the target and the trajectory are drawn.
    assert svg.count('class="measure"') == 5
    assert 'class="baseline"' in svg and 'class="target"' in svg
    assert 'class="trajectory"' in svg
    # Nothing is fetched from elsewhere and no script runs.
    assert "<script" not in svg and "href" not in svg
    table = html[html.index('id="indicator-data"') :]
    table = table[: table.index("</table>")]
    assert table.count("<td>Mesure</td>") == 5
    assert "<td>Référence</td>" in table and "<td>Cible</td>" in table
    assert "50\u202flieux" in table
    assert "Sur la trajectoire" in html


def test_an_indicator_below_its_trajectory_is_off_track_everywhere(admin_client, demo):
    plan, actions = stn(demo)
    indicator = indicator_with_five_measurements(demo, actions[14], last=Decimal(41))
    html = admin_client.get(f"/admin/indicator/chart/?id={indicator.id}").get_data(
        as_text=True
    )
    assert "Hors trajectoire" in html and "sous la trajectoire attendue" in html
    # The last point is drawn in the "off" colour.
    assert re.search(r'class="measure"[^>]*r="6" fill="#a71d2a"', html)
    page = admin_client.get(f"/admin/plan/page/?id={plan.id}").get_data(as_text=True)
    off = page[page.index('id="plan-off-track"') :]
    assert "Indicateurs hors trajectoire (1)" in off
    assert "Lieux de médiation numérique" in off
    board = admin_client.get("/admin/").get_data(as_text=True)
    section = board[board.index('id="dash-off-track"') :]
    assert "Lieux de médiation numérique" in section
    assert f"/admin/indicator/chart/?id={indicator.id}" in section


def test_an_indicator_without_measurements_has_an_empty_chart(admin_client, demo):
    from app.models import Indicator

    indicator = Indicator(name="Indicateur sans mesure", unit="%")
    demo.session.add(indicator)
    demo.session.commit()
    html = admin_client.get(f"/admin/indicator/chart/?id={indicator.id}").get_data(
        as_text=True
    )
    assert "Sans donnée" in html and "Aucune mesure." in html
    assert admin_client.get("/admin/indicator/chart/?id=abc").status_code == 404
