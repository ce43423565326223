"""What a person opening an export sees: dates as dates, euros, widths, file names."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from xml.etree import ElementTree as ET

import sqlalchemy as sa

from app.models import Membership, Plan, PlanAction
from tests.test_exports import fetch

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
}
X = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _ods_content(data: bytes) -> ET.Element:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return ET.fromstring(zf.read("content.xml"))


def _attr(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def test_ods_dates_have_a_date_style_and_columns_a_width(admin_client, demo):
    data = fetch(admin_client, "/admin/meeting/export/ods/").data
    root = _ods_content(data)
    styles = {
        s.get(_attr("style", "name")): s for s in root.iter(_attr("style", "style"))
    }
    date_styles = {
        s.get(_attr("style", "name")) for s in root.iter(_attr("number", "date-style"))
    }
    cells = [
        c
        for c in root.iter(_attr("table", "table-cell"))
        if c.get(_attr("office", "value-type")) == "date"
    ]
    assert cells
    for cell in cells:
        style = styles[cell.get(_attr("table", "style-name"))]
        assert style.get(_attr("style", "data-style-name")) in date_styles
    shown = {"".join(c.itertext()) for c in cells}
    assert "11/06/2019 12:30" in shown  # Paris time, French order
    # One table:table-column per column (the ODF schema requires them), each
    # with a width.
    table = root.find(".//table:table", NS)
    columns = table.findall("table:table-column", NS)
    header = table.find("table:table-header-rows/table:table-row", NS)
    assert len(columns) == len(header.findall("table:table-cell", NS))
    for column in columns:
        props = styles[column.get(_attr("table", "style-name"))][0]
        assert re.fullmatch(r"\d+\.\d\dcm", props.get(_attr("style", "column-width")))


def _plan_actions(db):
    plan = Plan(name="Schéma", short_name="STN")
    db.session.add_all(
        [
            PlanAction(
                plan=plan, number=12, title="Recenser", budget=Decimal("150000")
            ),
            PlanAction(plan=plan, number=14, title="-Tiret", budget=Decimal("4.5")),
        ]
    )
    db.session.commit()


def test_ods_euros_in_a_currency_style(admin_client, db):
    _plan_actions(db)
    root = _ods_content(fetch(admin_client, "/admin/plan_action/export/ods/").data)
    currency = root.find(".//number:currency-style", NS)
    assert currency.find("number:currency-symbol", NS).text == "€"
    euros = [
        c
        for c in root.iter(_attr("table", "table-cell"))
        if c.get(_attr("office", "value-type")) == "currency"
    ]
    assert [c.get(_attr("office", "value")) for c in euros] == ["150000.00", "4.50"]
    assert all(c.get(_attr("office", "currency")) == "EUR" for c in euros)
    assert "".join(euros[0].itertext()) == "150\u202f000,00\xa0€"
    texts = ["".join(c.itertext()) for c in root.iter(_attr("table", "table-cell"))]
    assert "-Tiret" in texts and "'-Tiret" not in texts


def _sheet(data: bytes) -> ET.Element:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return ET.fromstring(zf.read("xl/worksheets/sheet1.xml"))


def test_xlsx_has_widths_frozen_bold_header_autofilter_and_euros(admin_client, db):
    from openpyxl import load_workbook

    _plan_actions(db)
    data = fetch(admin_client, "/admin/plan_action/export/xlsx/").data
    sheet = _sheet(data)
    pane = sheet.find(f"{X}sheetViews/{X}sheetView/{X}pane")
    assert pane.get("state") == "frozen" and pane.get("topLeftCell") == "A2"
    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[len(header) - 1]  # every column, 2 rows
    assert sheet.find(f"{X}autoFilter").get("ref") == f"A1:{last}3"
    widths = [float(c.get("width")) for c in sheet.iter(f"{X}col")]
    assert len(widths) == len(header) and all(w >= 6 for w in widths)

    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{last}3"
    assert header[0] == "N°" and all(c.font.b for c in ws[1])
    budget = ws.cell(row=2, column=header.index("Budget (€)") + 1)
    assert budget.value == 150000 and "€" in budget.number_format
    title = ws.cell(row=3, column=header.index("Intitulé") + 1)
    assert title.value == "-Tiret" and title.quotePrefix and title.data_type == "s"


def test_xlsx_datetimes_are_wide_enough_and_french(admin_client, demo):
    from openpyxl import load_workbook

    data = fetch(admin_client, "/admin/meeting/export/xlsx/").data
    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    column = header.index("Début") + 1
    cell = ws.cell(row=2, column=column)
    assert cell.is_date and cell.number_format == "dd/mm/yyyy hh:mm"
    letter = cell.column_letter
    # 16 characters for "16/04/2019 12:30" (a default width shows "###").
    assert ws.column_dimensions[letter].width >= 16


def test_csv_for_excel_writes_french_dates(admin_client, demo):
    data = fetch(admin_client, "/admin/meeting/export/csv-excel/").data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    starts = [r[header.index("Début")] for r in rows[1:]]
    assert "11/06/2019 12:30" in starts
    _membership_since(demo, date(2019, 1, 1))
    data = fetch(admin_client, "/admin/membership/export/csv-excel/").data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    since = header_index = rows[0].index("Depuis le")
    assert since == header_index
    assert "01/01/2019" in {r[since] for r in rows[1:]}
    # The plain CSV keeps ISO 8601 (machines read it).
    plain = fetch(admin_client, "/admin/meeting/export/csv/").get_data(as_text=True)
    assert "2019-06-11T12:30:00+02:00" in plain


def test_file_names_are_french_in_paris_time_and_distinct(
    admin_client, db, monkeypatch
):
    moment = datetime(2026, 12, 1, 15, 52, tzinfo=UTC)  # 16:52 in Paris
    monkeypatch.setattr("app.admin.exports.utcnow", lambda: moment)
    names = {}
    for fmt in ("csv", "csv-excel", "xlsx", "ods", "json"):
        response = fetch(admin_client, f"/admin/member/export/{fmt}/")
        disposition = response.headers["Content-Disposition"]
        names[fmt] = re.search(r'filename="?([^";]+)', disposition).group(1)
    assert names == {
        "csv": "membres_2026-12-01_16-52.csv",
        "csv-excel": "membres_2026-12-01_16-52_excel.csv",
        "xlsx": "membres_2026-12-01_16-52.xlsx",
        "ods": "membres_2026-12-01_16-52.ods",
        "json": "membres_2026-12-01_16-52.json",
    }


def test_text_content_types_name_the_charset_once(admin_client, db):
    for fmt in ("csv", "csv-excel"):
        response = fetch(admin_client, f"/admin/member/export/{fmt}/")
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_dates_stay_dates_in_every_spreadsheet(admin_client, db, make_member):
    make_member(last_name="Daté", left_on=date(2020, 1, 31))
    url = "/admin/member/export/ods/?archives=1"
    root = _ods_content(fetch(admin_client, url).data)
    joined = [
        c
        for c in root.iter(_attr("table", "table-cell"))
        if c.get(_attr("office", "date-value")) == "2020-01-31"
    ]
    assert len(joined) == 1 and "".join(joined[0].itertext()) == "31/01/2020"


def _membership_since(db, day) -> None:
    """The minutes give no membership date: one is set here for the date cells."""
    for membership in db.session.execute(sa.select(Membership)).scalars():
        membership.since = day
    db.session.commit()
