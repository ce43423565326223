"""The list of published datasets in the SCDL « Catalogue » schema
(OpenDataFrance, version 0.1.3, https://schema.data.gouv.fr/scdl/catalogue/).

Every column of the schema is required. Two come from configuration and have
no sensible default: ``OPENDATA_SIRET`` (``COLL_SIRET``, ``PRODUCTEUR_SIRET``)
and ``PUBLIC_URL`` (``URL`` must be an absolute address). When one is missing
or wrong the catalogue is still written, with the column empty or relative,
and ``catalogue_gaps`` says what to set: the README lists it and
``cdpl-gestion export-opendata`` prints it.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import UTC, date, datetime

from flask import current_app

from app.opendata.resources import Resource
from app.timezone import PARIS

#: Column order of the schema.
CATALOGUE_COLUMNS = (
    "COLL_NOM",
    "COLL_SIRET",
    "ID",
    "TITRE",
    "DESCRIPTION",
    "THEME",
    "PRODUCTEUR_NOM",
    "PRODUCTEUR_SIRET",
    "COUV_SPAT_MAILLE",
    "COUV_SPAT_NOM",
    "COUV_TEMP_DEBUT",
    "COUV_TEMP_FIN",
    "DATE_PUBL",
    "FREQ_MAJ",
    "DATE_MAJ",
    "MOTS_CLES",
    "LICENCE",
    "NOMBRE_RESSOURCES",
    "FORMAT_RESSOURCES",
    "URL",
)

#: Configured licence name (Data Package ``licenses[].name``) -> the schema's
#: value list; anything else is « Spécifique ou autre ».
_LICENCES = {
    "etalab-2.0": "Licence Ouverte-LO",
    "etalab": "Licence Ouverte-LO",
    "lo-2.0": "Licence Ouverte-LO",
    "odbl": "Open Database License-ODBL",
    "odbl-1.0": "Open Database License-ODBL",
}

#: Keywords in lower case without accents, as the schema asks.
_KEYWORDS = "conseil-de-developpement;democratie-participative;transparence"


def siret_is_valid(value: str) -> bool:
    """14 digits passing the Luhn check (the SIRET key), as the schema's
    « french-siret-value » check of Validata; La Poste's establishments
    (SIREN 356000000) use the digit sum instead."""
    if len(value) != 14 or not value.isdigit():
        return False
    if value.startswith("356000000"):
        return sum(int(d) for d in value) % 5 == 0
    total = 0
    for position, digit in enumerate(reversed(value)):
        number = int(digit) * (2 if position % 2 else 1)
        total += number - 9 if number > 9 else number
    return total % 10 == 0


def _slug(text: str) -> str:
    """Lower case, no accents, no spaces (the schema's « slug » identifiers)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(
        "".join(c if c.isalnum() else " " for c in ascii_text).lower().split()
    )


def _siret() -> str:
    return "".join(str(current_app.config.get("OPENDATA_SIRET") or "").split())


def catalogue_gaps() -> list[str]:
    """What the configuration lacks for the catalogue to follow the schema (French)."""
    gaps = []
    siret = _siret()
    if not siret:
        gaps.append(
            "OPENDATA_SIRET (ou CDPL_OPENDATA_SIRET) n'est pas renseigné : "
            "les colonnes COLL_SIRET et PRODUCTEUR_SIRET sont vides."
        )
    elif not siret_is_valid(siret):
        gaps.append(
            f"OPENDATA_SIRET « {siret} » n'est pas un numéro SIRET valide "
            "(14 chiffres, clé de contrôle)."
        )
    if not str(current_app.config.get("PUBLIC_URL") or "").startswith(
        ("https://", "http://")
    ):
        gaps.append(
            "PUBLIC_URL (ou CDPL_PUBLIC_URL) n'est pas une adresse complète "
            "(https://…) : la colonne URL ne donne que le chemin."
        )
    return gaps


def licence_value(name: str) -> str:
    """The schema's LICENCE value for a configured licence name."""
    key = name.strip().casefold()
    if key in _LICENCES:
        return _LICENCES[key]
    if key.startswith("cc-") or key.startswith("cc0"):
        return "Creative Commons-CC"
    return "Spécifique ou autre"


def _day(value) -> date | None:
    # A moment is stored in UTC: the day it covers is the council's day in
    # Paris (a meeting "16/04/2019, heure non précisée" is stored as
    # 2019-04-15T22:00Z).
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(PARIS).date()
    if isinstance(value, date):
        return value
    return None


def _period(resource: Resource, rows: list[dict]) -> tuple[date, date] | None:
    days = [
        day
        for row in rows
        for name in resource.period
        if (day := _day(row.get(name))) is not None
    ]
    return (min(days), max(days)) if days else None


def catalogue_rows(
    tables: list[tuple[Resource, list[dict]]], generated_at: datetime
) -> list[dict]:
    """One line per published table that has rows."""
    config = current_app.config
    base = str(config.get("PUBLIC_URL") or "").rstrip("/") + "/public/donnees/"
    when = _day(generated_at)
    periods = {r.name: _period(r, rows) for r, rows in tables}
    # A table without dates of its own (amendments) covers the whole package's period.
    known = [p for p in periods.values() if p is not None]
    overall = (min(p[0] for p in known), max(p[1] for p in known)) if known else None
    siret = _siret()
    lines = []
    for resource, rows in tables:
        if not rows:
            continue
        start, end = periods[resource.name] or overall or (when, when)
        lines.append(
            {
                "COLL_NOM": config["ORG_NAME"],
                "COLL_SIRET": siret,
                "ID": _slug(f"{config['ORG_SHORT_NAME']} {resource.name}"),
                "TITRE": f"{resource.title} — {config['ORG_NAME']}",
                "DESCRIPTION": resource.description,
                "THEME": "Citoyenneté et démocratie participative",
                "PRODUCTEUR_NOM": config["ORG_NAME"],
                "PRODUCTEUR_SIRET": siret,
                "COUV_SPAT_MAILLE": "Intercommunale",
                "COUV_SPAT_NOM": config["OPENDATA_TERRITORY"],
                "COUV_TEMP_DEBUT": start.isoformat(),
                "COUV_TEMP_FIN": end.isoformat(),
                # The first publication is not recorded: the date of the
                # published data, as DATE_MAJ (documented in the README).
                "DATE_PUBL": when.isoformat(),
                "FREQ_MAJ": "Ponctuelle",
                "DATE_MAJ": when.isoformat(),
                "MOTS_CLES": _KEYWORDS,
                "LICENCE": licence_value(config["OPENDATA_LICENCE_NAME"]),
                "NOMBRE_RESSOURCES": 2,
                "FORMAT_RESSOURCES": "csv;json",
                "URL": f"{base}{resource.name}.csv",
            }
        )
    return lines


def catalogue_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CATALOGUE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
