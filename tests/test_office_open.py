"""Every export and the compte rendu opened in LibreOffice (headless, French locale).

The files are converted with ``soffice --convert-to`` and the converted output is
read: what LibreOffice made of each cell (date, number, text) and what it shows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.models import Indicator, Measurement, Meeting, Plan, PlanAction
from tests.office import FRENCH_CSV, Office, read_fods, require_soffice
from tests.test_exports import fetch


@pytest.fixture(scope="session")
def office(tmp_path_factory):
    return Office(require_soffice(), tmp_path_factory.mktemp("libreoffice-profile"))


@pytest.fixture
def data(demo):
    plan = demo.session.execute(sa.select(Plan)).scalars().first()
    demo.session.add(
        PlanAction(plan=plan, number=99, title="-Tiret", budget=Decimal("4.5"))
    )
    indicator = Indicator(name="Lieux de médiation numérique")
    demo.session.add(
        Measurement(indicator=indicator, measured_on=date(2024, 6, 30), value=4.5)
    )
    demo.session.commit()
    return demo


LISTS = ("meeting", "plan_action", "measurement", "member")


EMPTY = {"type": None, "value": None, "text": ""}


def _by_header(rows) -> list[dict]:
    header = [c["text"] for c in rows[0]]
    padded = [row + [EMPTY] * (len(header) - len(row)) for row in rows[1:]]
    return [dict(zip(header, row, strict=False)) for row in padded]


def _check_sheet(name: str, fmt: str, rows) -> None:
    records = _by_header(rows)
    where = (name, fmt)
    if name == "meeting":
        starts = [r["Début"] for r in records]
        start = next(
            (c for c in starts if (c["value"] or "").startswith("2019-06-11")), starts
        )
        assert start["type"] == "date", where
        if fmt == "csv-excel":  # a detected date gets the locale's default format
            assert start["text"] in ("11/06/2019 12:30", "11/06/19 12:30"), where
        else:
            assert start["text"] == "11/06/2019 12:30", where
        assert start["value"].startswith("2019-06-11T12:30"), where
    elif name == "plan_action":
        budgets = {r["Budget (€)"]["value"]: r["Budget (€)"] for r in records}
        assert "150000" in budgets, (where, rows[0], records[:3])
        big = budgets["150000"]
        assert big["type"] in ("currency", "float"), where
        if fmt != "csv-excel":  # the currency format travels in XLSX and ODS
            assert big["text"].replace("\u202f", " ").replace("\xa0", " ") == (
                "150 000,00 €"
            ), where
        titles = {r["Intitulé"]["text"] for r in records}
        if fmt == "csv-excel":
            # CSV has no cell types: its apostrophe stays, LibreOffice shows it.
            assert "'-Tiret" in titles, where
        else:
            assert "-Tiret" in titles and "'-Tiret" not in titles, where
    elif name == "measurement":
        value = next(r["Valeur"] for r in records if r["Valeur"]["value"] == "4.5")
        assert value["type"] == "float" and value["text"] == "4,5", where
    elif name == "member":
        names = {r["Nom"]["text"] for r in records}
        assert "Bréhaut" in names, where  # accents intact
        assert [c["text"] for c in rows[0]][:3] == ["N°", "Nom", "Prénom"], where


def test_spreadsheets_open_with_dates_numbers_and_text(
    office, admin_client, data, tmp_path
):
    sources = tmp_path / "exports"
    sources.mkdir()
    sheets, csvs = [], []
    for name in LISTS:
        for fmt in ("ods", "xlsx", "csv-excel"):
            body = fetch(admin_client, f"/admin/{name}/export/{fmt}/").data
            path = sources / f"{name}-{fmt}.{'csv' if fmt == 'csv-excel' else fmt}"
            path.write_bytes(body)
            (csvs if fmt == "csv-excel" else sheets).append(path)
    # Two soffice runs in all: the spreadsheets, then the CSV files (their
    # import filter applies to every file of a run).
    converted = office.convert(sheets, "fods", tmp_path / "fods")
    converted += office.convert(csvs, "fods", tmp_path / "fods", infilter=FRENCH_CSV)
    for path in converted:
        name, fmt = path.stem.split("-", 1)
        _check_sheet(name, fmt, read_fods(path))


def test_compte_rendu_odt_opens_with_its_sections_in_order(
    office, admin_client, data, tmp_path
):
    meeting = data.session.execute(
        sa.select(Meeting).where(Meeting.exchanges.is_not(None))
    ).scalar_one()
    source = tmp_path / "compte-rendu.odt"
    source.write_bytes(
        admin_client.get(f"/admin/meeting/report/odt/?id={meeting.id}").data
    )
    (text_file,) = office.convert([source], "txt:Text (encoded):UTF8", tmp_path / "txt")
    text = " ".join(text_file.read_text(encoding="utf-8-sig").split())
    sections = [
        "Innovation sociale numérique",
        "Participants",
        "Éléments de contexte, déroulement et décisions",
        "Échanges et informations",
        "Décisions",
        "Actions à venir",
        "Prochaine réunion",
    ]
    positions = [text.index(s) for s in sections]
    assert positions == sorted(positions)
    assert "Eric Soudy" in text and "logiciels libres" in text
