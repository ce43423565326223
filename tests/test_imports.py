"""Imports: upload, mapping, preview with French errors, confirm; all or nothing."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.models import (
    Attendance,
    AttendanceStatus,
    DataTransfer,
    Indicator,
    Measurement,
    Meeting,
    Member,
    Organisation,
    OrganisationKind,
    Plan,
    PlanAction,
    TransferOutcome,
)


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path, monkeypatch):
    """Pending uploads go to a temporary folder, not the instance folder."""
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))
    return tmp_path / "imports"


def upload(client, data: bytes, kind="membres", filename="liste.csv", **extra):
    form = {"kind": kind, "file": (io.BytesIO(data), filename), **extra}
    return client.post("/admin/imports/", data=form, content_type="multipart/form-data")


def review_url(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert re.search(r"/admin/imports/[A-Za-z0-9_-]{20,}/$", location)
    return location


def confirm(client, url, page_html: str):
    """Post the mapping shown on the page back with action=confirm."""
    form = {"action": "confirm"}
    for index, key in re.findall(
        r'name="col-(\d+)".*?(?:<option value="([a-z_]+)" selected>|</select>)',
        page_html,
        flags=re.S,
    ):
        form[f"col-{index}"] = key
    return client.post(url, data=form)


def count(db, model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()


MEMBERS_CSV = (
    "Nom,Prénom,Courriel,Téléphone,Commune\n"
    "Abgrall,Élodie,Elodie.Abgrall@Example.org,02 97 00 00 01,Lorient\n"
    "Le Goff,Yann,yann@example.org,,Lanester\n"
).encode()


def test_members_upload_preview_confirm(db, admin_client, import_dir):
    url = review_url(upload(admin_client, MEMBERS_CSV))
    page = admin_client.get(url)
    html = page.get_data(as_text=True)
    assert "Aucune erreur : 2 création(s) et 0 mise(s) à jour" in html
    assert count(db, Member) == 0  # nothing written before confirmation
    response = confirm(admin_client, url, html)
    assert response.status_code == 302
    members = (
        db.session.execute(sa.select(Member).order_by(Member.last_name)).scalars().all()
    )
    assert [(m.first_name, m.email, m.phone) for m in members] == [
        ("Élodie", "elodie.abgrall@example.org", "+33297000001"),
        ("Yann", "yann@example.org", None),
    ]
    entry = db.session.execute(sa.select(DataTransfer)).scalar_one()
    assert (entry.target, entry.row_count, entry.outcome) == (
        "membres",
        2,
        TransferOutcome.success,
    )
    # The pending upload is gone once imported.
    assert admin_client.get(url).status_code == 302
    assert not any(import_dir.iterdir())


def test_one_bad_row_writes_nothing_and_names_the_row(db, admin_client):
    data = (
        "Nom;Prénom;Courriel\n"
        "Abgrall;Élodie;elodie@example.org\n"
        "Le Goff;Yann;pas-une-adresse\n"
        ";Anne;anne@example.org\n"
    ).encode()
    url = review_url(upload(admin_client, data))
    html = admin_client.get(url).get_data(as_text=True)
    assert "Adresse électronique invalide" in html
    assert "« Nom » est obligatoire." in html
    assert "<td>3</td>" in html and "<td>4</td>" in html
    assert "Confirmer l&#39;import" not in html
    response = confirm(admin_client, url, html)
    assert response.status_code == 302
    assert count(db, Member) == 0
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "rien n&#39;a été enregistré" in page


def test_windows_1252_semicolon_file_keeps_accents(db, admin_client):
    data = "Prénom;Nom;Commune\nÉlodie;Bréhaut;Quéven\nFrançoise;Lœvenbruck;Plœmeur\n"
    url = review_url(upload(admin_client, data.encode("cp1252")))
    html = admin_client.get(url).get_data(as_text=True)
    assert "encodage cp1252, séparateur « ; »" in html
    confirm(admin_client, url, html)
    names = db.session.execute(
        sa.select(Member.first_name, Member.last_name, Member.town).order_by(Member.id)
    ).all()
    assert names == [
        ("Élodie", "Bréhaut", "Quéven"),
        ("Françoise", "Lœvenbruck", "Plœmeur"),
    ]


def test_utf8_bom_and_english_headers(db, admin_client):
    data = "\ufeffFirst name,Last name,E-mail\nAnne,Le Gall,anne@example.org\n"
    url = review_url(upload(admin_client, data.encode("utf-8")))
    html = admin_client.get(url).get_data(as_text=True)
    assert "encodage utf-8-sig" in html
    confirm(admin_client, url, html)
    member = db.session.execute(sa.select(Member)).scalar_one()
    assert (member.first_name, member.last_name) == ("Anne", "Le Gall")


def test_same_email_is_an_update(db, admin_client, make_member):
    existing = make_member(
        first_name="Anne", last_name="Ancien", email="anne@example.org"
    )
    data = (
        "Prénom,Nom,Courriel,Commune\nAnne,Le Gall,ANNE@example.org,Lorient\n".encode()
    )
    url = review_url(upload(admin_client, data))
    html = admin_client.get(url).get_data(as_text=True)
    assert "0 création(s) et 1 mise(s) à jour" in html
    assert "Mise à jour" in html
    confirm(admin_client, url, html)
    db.session.expire_all()
    assert count(db, Member) == 1
    member = db.session.get(Member, existing.id)
    assert (member.last_name, member.town) == ("Le Gall", "Lorient")


def test_duplicate_rows_in_file_are_reported(db, admin_client):
    data = "Nom,Prénom,Courriel\nA,B,a@example.org\nC,D,a@example.org\n".encode()
    html = admin_client.get(review_url(upload(admin_client, data))).get_data(
        as_text=True
    )
    assert "Même enregistrement qu&#39;à la ligne 2." in html


def test_size_limit_has_a_clear_message(app, db, admin_client, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 100 * 1024)
    response = upload(admin_client, b"Nom,Prenom\n" + b"x,y\n" * 30_000)
    assert response.status_code == 200
    assert "dépasse la taille maximale acceptée (100 Ko)" in response.get_data(
        as_text=True
    )
    assert count(db, Member) == 0


def test_unreadable_file_is_refused_in_french(db, admin_client):
    response = upload(admin_client, b"PK\x03\x04garbage", filename="x.xlsx")
    assert "archive abîmée" in response.get_data(as_text=True)


def test_mapping_can_be_changed(db, admin_client):
    data = "Famille,Prénom\nKerjean,Louise\n".encode()
    url = review_url(upload(admin_client, data))
    html = admin_client.get(url).get_data(as_text=True)
    assert "La colonne « Nom » est obligatoire" in html
    response = admin_client.post(
        url, data={"col-0": "last_name", "col-1": "first_name", "action": "confirm"}
    )
    assert response.status_code == 302
    assert db.session.execute(sa.select(Member.last_name)).scalar_one() == "Kerjean"


def test_organisations_round_trip_through_ods_and_xlsx(db, admin_client):
    db.session.add(
        Organisation(name="Asso", kind=OrganisationKind.association, town="Lorient")
    )
    db.session.commit()
    for fmt in ("ods", "xlsx"):
        exported = admin_client.get(f"/admin/organisation/export/{fmt}/")
        data = exported.get_data()
        exported.close()
        url = review_url(
            upload(admin_client, data, kind="structures", filename=f"s.{fmt}")
        )
        html = admin_client.get(url).get_data(as_text=True)
        assert "0 création(s) et 1 mise(s) à jour" in html, fmt
    # A new structure in an XLSX written by openpyxl.
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Nom", "Type", "Commune"])
    wb.active.append(["Entreprise Bleue", "Entreprise", "Lanester"])
    buf = io.BytesIO()
    wb.save(buf)
    url = review_url(
        upload(admin_client, buf.getvalue(), kind="structures", filename="s.xlsx")
    )
    confirm(admin_client, url, admin_client.get(url).get_data(as_text=True))
    org = db.session.execute(
        sa.select(Organisation).where(Organisation.name == "Entreprise Bleue")
    ).scalar_one()
    assert org.kind == OrganisationKind.company


def test_attendance_of_a_meeting(db, admin_client, make_member):
    meeting = Meeting(starts_at=datetime(2024, 3, 5, 17, 0, tzinfo=UTC))
    db.session.add(meeting)
    db.session.commit()
    eric = make_member(first_name="Éric", last_name="Soudy", email="eric@example.org")
    serge = make_member(first_name="Serge", last_name="Fraillon")
    db.session.add(
        Attendance(meeting=meeting, member=serge, status=AttendanceStatus.absent)
    )
    db.session.commit()
    data = "Courriel;Prénom;Nom;Présence\neric@example.org;;;présent\n;serge;FRAILLON;Excusé·e\n".encode()
    url = review_url(
        upload(admin_client, data, kind="presences", meeting_id=str(meeting.id))
    )
    html = admin_client.get(url).get_data(as_text=True)
    assert "1 création(s) et 1 mise(s) à jour" in html
    confirm(admin_client, url, html)
    rows = dict(
        db.session.execute(
            sa.select(Attendance.member_id, Attendance.status).where(
                Attendance.meeting_id == meeting.id
            )
        ).all()
    )
    assert rows == {
        eric.id: AttendanceStatus.present,
        serge.id: AttendanceStatus.excused,
    }


def test_attendance_needs_a_meeting(db, admin_client):
    response = upload(admin_client, b"Courriel\na@example.org\n", kind="presences")
    assert "Choisissez la réunion" in response.get_data(as_text=True)


def test_cli_plan_actions_and_measurements(app, db, tmp_path):
    plan = Plan(name="Schéma Territorial du Numérique", short_name="STN")
    db.session.add(plan)
    db.session.add(
        PlanAction(plan=plan, number=12, title="Ancien", budget=Decimal("1"))
    )
    indicator = Indicator(name="Lieux de médiation")
    db.session.add(indicator)
    db.session.commit()
    runner = app.test_cli_runner()
    actions = tmp_path / "actions.csv"
    actions.write_text(
        "Plan;Numéro;Intitulé;Budget (€)\nSTN;12;Accompagnement social;150 000,00\n"
        "STN;14;Action transverse;30000\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-data", "actions-plan", str(actions)])
    assert result.exit_code == 0, result.output
    assert "1 création(s), 1 mise(s) à jour" in result.output
    budgets = dict(
        db.session.execute(sa.select(PlanAction.number, PlanAction.budget)).all()
    )
    assert budgets == {12: Decimal("150000.00"), 14: Decimal("30000.00")}

    measures = tmp_path / "mesures.csv"
    measures.write_text(
        'Indicateur,Date,Valeur\nLieux de médiation,31/12/2023,12\nLieux de médiation,2024-06-30,"14,5"\n',
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-data", "mesures", str(measures)])
    assert result.exit_code == 0, result.output
    values = db.session.execute(
        sa.select(Measurement.measured_on, Measurement.value).order_by(
            Measurement.measured_on
        )
    ).all()
    assert values == [
        (date(2023, 12, 31), Decimal("12")),
        (date(2024, 6, 30), Decimal("14.5")),
    ]


def test_cli_bad_row_writes_nothing(app, db, tmp_path):
    db.session.add(Plan(name="Plan", short_name="P"))
    db.session.commit()
    path = tmp_path / "actions.csv"
    path.write_text(
        "Plan,Numéro,Intitulé\nP,1,Un\nP,-2,Deux\nInconnu,3,Trois\n", encoding="utf-8"
    )
    result = app.test_cli_runner().invoke(
        args=["import-data", "actions-plan", str(path)]
    )
    assert result.exit_code != 0
    assert "Ligne 3 : Numéro : doit être supérieur à zéro." in result.output
    assert "Ligne 4 : Plan « Inconnu » inconnu." in result.output
    assert "rien n'a été enregistré" in result.output
    assert count(db, PlanAction) == 0
    entry = db.session.execute(sa.select(DataTransfer)).scalar_one()
    assert (entry.actor, entry.outcome) == ("cli", TransferOutcome.failure)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Oui", True), ("non", False), ("X", True), ("", None)],
)
def test_boolean_cells(raw, expected):
    from app.exports.values import parse_bool

    assert parse_bool(raw or None) is expected


def test_upload_page_is_french_with_csrf(db, admin_client):
    html = admin_client.get("/admin/imports/").get_data(as_text=True)
    assert 'name="csrf_token"' in html
    assert "Présences à une réunion" in html and "Taille maximale : 10 Mo" in html
    url = review_url(upload(admin_client, MEMBERS_CSV))
    html = admin_client.get(url).get_data(as_text=True)
    # Every POST form of the page (review, cancel, language, logout) has its token.
    assert html.count('name="csrf_token"') == html.lower().count('method="post"') >= 2


def test_ods_reader_expands_repeated_cells():
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    from app.exports.readers import read_table

    doc = OpenDocumentSpreadsheet()
    sheet = Table(name="Feuille1")
    for values in (["Nom", None, "Prénom"], ["Bréhaut", None, "Solenn"]):
        row = TableRow()
        for value in values:
            if value is None:
                row.addElement(TableCell(numbercolumnsrepeated=1))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=value))
                row.addElement(cell)
        row.addElement(TableCell(numbercolumnsrepeated=1020))
        sheet.addElement(row)
    sheet.addElement(TableRow(numberrowsrepeated=1000))
    doc.spreadsheet.addElement(sheet)
    buf = io.BytesIO()
    doc.write(buf)
    table = read_table(buf.getvalue(), "x.ods")
    assert table.headers == ["Nom", "", "Prénom"]
    assert [(line, cells[:3]) for line, cells in table.rows] == [
        (2, ["Bréhaut", None, "Solenn"])
    ]
