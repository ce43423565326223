"""Imported numbers must fit their column: a budget or a measurement of 1e30,
Infinity or NaN, or a plan-action number of 10**29, is refused in the preview
with a French message naming the row and the column (issue 22, findings 7 and 8).
"""

from __future__ import annotations

import html as htmllib
import io
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.models import Indicator, Measurement, PlanAction
from tests.test_imports import confirm, count, review_url, upload


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))


@pytest.fixture
def indicator(db):
    indicator = Indicator(name="Taux de couverture")
    db.session.add(indicator)
    db.session.commit()
    return indicator


def row_errors(page: str) -> dict[int, list[str]]:
    """Errors of each row of the preview table, by line of the file."""
    found = {}
    for line, cells in re.findall(
        r'<tr class="table-danger">\s*<td>(\d+)</td>(.*?)</tr>', page, flags=re.S
    ):
        last = re.findall(r"<td>(.*?)</td>", cells, flags=re.S)[-1]
        found[int(line)] = [
            htmllib.unescape(e) for e in re.findall(r"<div>(.*?)</div>", last)
        ]
    return found


def _review(client, data: bytes, **extra) -> tuple[str, str]:
    url = review_url(upload(client, data, **extra))
    return url, client.get(url).get_data(as_text=True)


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        ("1 000 000 000 000 €", "Nombre trop grand (au plus 999999999999)"),
        ("2 M€", None),  # within the column: accepted
    ],
)
def test_plan_action_budget_must_fit_numeric_14_2(
    admin_client, db, plan, budget, message
):
    data = f"Numéro;Intitulé;Budget\n1;Inclusion;150 000 €\n2;Données;{budget}\n"
    url, html = _review(
        admin_client, data.encode(), kind="actions-plan", plan_id=str(plan.id)
    )
    if message is None:
        assert "2 création(s)" in html
        return
    assert row_errors(html) == {3: [f"Budget (€) : {message}."]}
    confirm(admin_client, url, html)
    assert count(db, PlanAction) == 0


@pytest.mark.parametrize("number", [str(10**29), "-3000000000"])
def test_plan_action_number_must_fit_the_integer_column(admin_client, db, plan, number):
    data = f"Numéro;Intitulé\n{number};Énorme\n".encode()
    url, html = _review(admin_client, data, kind="actions-plan", plan_id=str(plan.id))
    assert row_errors(html) == {
        2: ["Numéro : Nombre trop grand (au plus 2 147 483 647)."]
    }
    response = confirm(admin_client, url, html)
    assert response.status_code in (200, 302)
    assert count(db, PlanAction) == 0


def _measurements_csv(value: str) -> bytes:
    return f"Indicateur;Date;Valeur\nTaux de couverture;01/01/2024;{value}\n".encode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e30", "Nombre trop grand (au plus 99999999999999)"),
        ("-1e15", "Nombre trop grand (au plus 99999999999999)"),
        ("Infinity", "Nombre invalide"),
        ("NaN", "Nombre invalide"),
        ("-inf", "Nombre invalide"),
    ],
)
def test_measurement_value_out_of_numeric_18_4_is_refused(
    admin_client, db, indicator, value, message
):
    url, html = _review(admin_client, _measurements_csv(value), kind="mesures")
    (error,) = row_errors(html)[2]
    assert error.startswith(f"Valeur : {message}")
    confirm(admin_client, url, html)
    assert count(db, Measurement) == 0


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_spreadsheet_numbers_beyond_the_column_are_refused_and_extra_decimals_rounded(
    admin_client, db, indicator
):
    """A number cell of 1e30 is refused; 0.1 + 0.2 (0.30000000000000004 in the
    file) becomes the 0.3 the spreadsheet shows, rounded to the column's four
    decimals."""
    rows = [
        ["Indicateur", "Date", "Valeur"],
        ["Taux de couverture", date(2024, 1, 1), 1e30],
        ["Taux de couverture", date(2024, 2, 1), 0.1 + 0.2],
    ]
    url, html = _review(
        admin_client, _xlsx(rows), kind="mesures", filename="mesures.xlsx"
    )
    assert row_errors(html) == {
        2: ["Valeur : Nombre trop grand (au plus 99999999999999)."]
    }
    confirm(admin_client, url, html)
    assert count(db, Measurement) == 0

    url, html = _review(
        admin_client, _xlsx([rows[0], rows[2]]), kind="mesures", filename="m.xlsx"
    )
    assert "1 création(s)" in html and "0.3000" in html
    confirm(admin_client, url, html)
    value = db.session.execute(sa.select(Measurement.value)).scalar_one()
    assert Decimal(str(value)) == Decimal("0.3")
