"""The open-data package's catalogue.csv follows the official SCDL
« Catalogue » schema (vendored in tests/schemas/scdl-catalogue/), offline."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from app.opendata.catalogue import licence_value, siret_is_valid
from tests.test_opendata import get_ok, publish_demo

SCHEMA = Path(__file__).parent / "schemas" / "scdl-catalogue" / "schema.json"
#: The example SIRET of the schema (Ville de Rennes), valid key.
SIRET = "21350238800019"


@pytest.fixture
def configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "OPENDATA_SIRET", SIRET)
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://cdpl.example.fr/")
    return app


def scdl_report(body: bytes, tmp_path: Path):
    from frictionless import Resource, Schema, validate

    (tmp_path / "catalogue.csv").write_bytes(body)
    schema = Schema.from_descriptor(json.loads(SCHEMA.read_text(encoding="utf-8")))
    return validate(
        Resource(path="catalogue.csv", basepath=str(tmp_path), schema=schema)
    )


def rows_of(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


def test_catalogue_validates_against_the_scdl_schema(
    configured, client, demo, tmp_path
):
    publish_demo(demo.session)
    body = get_ok(client, "/public/donnees/catalogue.csv").data
    report = scdl_report(body, tmp_path)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    rows = rows_of(body)
    header = body.decode().splitlines()[0].split(",")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert header == [f["name"] for f in schema["fields"]]
    # One line per table with rows; the schema's custom SIRET check too.
    assert {r["ID"] for r in rows} >= {"cdpl-plans", "cdpl-actions", "cdpl-reunions"}
    for row in rows:
        assert siret_is_valid(row["COLL_SIRET"]) and siret_is_valid(
            row["PRODUCTEUR_SIRET"]
        )
        assert row["URL"].startswith("https://cdpl.example.fr/public/donnees/")
        assert row["COUV_TEMP_DEBUT"] <= row["COUV_TEMP_FIN"]
        assert row["MOTS_CLES"] == row["MOTS_CLES"].encode("ascii").decode().lower()
    meetings = next(r for r in rows if r["ID"] == "cdpl-reunions")
    assert meetings["COUV_TEMP_DEBUT"] == "2019-04-16"
    readme = get_ok(client, "/public/donnees/README.md").data.decode()
    assert "Catalogue à compléter" not in readme


def test_without_siret_the_catalogue_is_written_and_says_what_is_missing(
    app, client, demo, tmp_path, monkeypatch
):
    """Chosen: no SIRET configured (the default) still gives a catalogue, with
    the SIRET columns empty, so it fails the schema on those columns only; the
    README and the export command say what to set."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://cdpl.example.fr")
    assert app.config["OPENDATA_SIRET"] == ""
    publish_demo(demo.session)
    body = get_ok(client, "/public/donnees/catalogue.csv").data
    report = scdl_report(body, tmp_path)
    assert not report.valid
    failing = {error[1] for error in report.flatten(["rowNumber", "fieldName"])}
    assert failing == {"COLL_SIRET", "PRODUCTEUR_SIRET"}
    readme = get_ok(client, "/public/donnees/README.md").data.decode()
    assert "Catalogue à compléter" in readme and "OPENDATA_SIRET" in readme
    result = app.test_cli_runner().invoke(
        args=["export-opendata", str(tmp_path / "od")]
    )
    assert result.exit_code == 0, result.output
    assert "catalogue SCDL incomplet" in result.output
    assert "OPENDATA_SIRET" in result.output


def test_a_wrong_siret_or_a_relative_url_is_reported(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "OPENDATA_SIRET", "21350238800018")
    publish_demo(demo.session)
    readme = get_ok(client, "/public/donnees/README.md").data.decode()
    assert "« 21350238800018 » n'est pas un numéro SIRET valide" in readme
    assert "PUBLIC_URL" in readme


def test_siret_key_and_licence_values():
    assert siret_is_valid("24350013900189")
    assert not siret_is_valid("24350013900188")
    assert not siret_is_valid("2435001390018")
    assert not siret_is_valid("2435001390018a")
    assert licence_value("etalab-2.0") == "Licence Ouverte-LO"
    assert licence_value("ODbL-1.0") == "Open Database License-ODBL"
    assert licence_value("CC-BY-4.0") == "Creative Commons-CC"
    assert licence_value("maison") == "Spécifique ou autre"


def test_empty_package_gives_a_valid_header_only_catalogue(
    configured, client, tmp_path
):
    body = get_ok(client, "/public/donnees/catalogue.csv").data
    assert len(body.decode().splitlines()) == 1
    assert scdl_report(body, tmp_path).valid
