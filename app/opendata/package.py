"""The open-data package: one CSV (UTF-8) and one JSON per resource,
datapackage.json (Frictionless Data Package, Table Schema), a French README,
the list of datasets in the SCDL « Catalogue » columns, and a ZIP of it all.

Built from the database by ``build_package``; the pages serve the copy kept
by ``app.opendata.freshness`` until the published data changes, so a record
made private or deleted is gone from the next answer. The generation date written
in the package is the last change among the published records, so that an
unchanged package keeps the same bytes (and the same ETag).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app

from app.opendata import selection
from app.opendata.catalogue import catalogue_csv, catalogue_gaps, catalogue_rows
from app.opendata.resources import RESOURCES, Resource, cell_text, json_value

#: Same timestamp on every ZIP entry: identical data gives identical bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass
class Package:
    #: File name -> bytes, in a stable order.
    files: dict[str, bytes]
    generated_at: datetime
    row_counts: dict[str, int]
    _zip: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def etag(self) -> str:
        digest = hashlib.sha256()
        for name, body in self.files.items():
            digest.update(name.encode() + b"\0" + body + b"\0")
        return digest.hexdigest()[:32]

    def zip_bytes(self) -> bytes:
        if self._zip is None:
            self._zip = self._build_zip()
        return self._zip

    def _build_zip(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, body in self.files.items():
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, body)
        return buffer.getvalue()


def last_change() -> datetime:
    """Latest update among the published records (the package's date)."""
    records = [
        *selection.public_plans(),
        *selection.public_actions(),
        *selection.public_amendments(),
        *selection.public_indicators(),
        *selection.public_measurements(),
        *selection.public_meetings(),
        *selection.public_documents(),
    ]
    stamps = [r.updated_at for r in records if r.updated_at is not None]
    if not stamps:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return max(s if s.tzinfo else s.replace(tzinfo=UTC) for s in stamps).astimezone(UTC)


def to_csv(resource: Resource, rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in resource.columns])
    for row in rows:
        writer.writerow([cell_text(row[c.name]) for c in resource.columns])
    return buffer.getvalue().encode("utf-8")


def to_json(rows: list[dict], resource: Resource) -> bytes:
    data = [{c.name: json_value(row[c.name]) for c in resource.columns} for row in rows]
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def table_schema(resource: Resource) -> dict:
    fields = []
    for column in resource.columns:
        spec: dict = {
            "name": column.name,
            "type": column.type,
            "title": column.title,
            "description": column.description,
        }
        if column.required:
            spec["constraints"] = {"required": True}
        fields.append(spec)
    schema: dict = {"fields": fields, "primaryKey": ["id"], "missingValues": [""]}
    if resource.foreign_keys:
        schema["foreignKeys"] = [
            {
                "fields": [fk.column],
                "reference": {"resource": fk.resource, "fields": [fk.target]},
            }
            for fk in resource.foreign_keys
        ]
    return schema


def licence() -> dict:
    config = current_app.config
    return {
        "name": config["OPENDATA_LICENCE_NAME"],
        "path": config["OPENDATA_LICENCE_URL"],
        "title": config["OPENDATA_LICENCE_TITLE"],
    }


def datapackage(row_counts: dict[str, int], generated_at: datetime) -> dict:
    config = current_app.config
    org = config["ORG_NAME"]
    return {
        "profile": "tabular-data-package",
        "name": "cdpl-donnees-publiques",
        "title": f"Données publiques — {org}",
        "description": (
            f"Ce que le {org} publie de son travail : plans suivis, actions, "
            "amendements, indicateurs, réunions publiques et documents. "
            "Aucune donnée personnelle."
        ),
        "created": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "licenses": [licence()],
        "resources": [
            {
                "name": r.name,
                "path": f"{r.name}.csv",
                "profile": "tabular-data-resource",
                "title": r.title,
                "description": r.description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n"},
                "schema": table_schema(r),
                #: Custom property (the spec allows it): rows in the file.
                "count": row_counts[r.name],
            }
            for r in RESOURCES
        ],
    }


def readme(row_counts: dict[str, int], generated_at: datetime) -> bytes:
    config = current_app.config
    lines = [
        f"# Données publiques — {config['ORG_NAME']}",
        "",
        f"Générées le {generated_at.strftime('%d/%m/%Y à %H:%M')} (UTC), date de la "
        "dernière modification des données publiées.",
        "",
        f"Licence : {config['OPENDATA_LICENCE_TITLE']} ({config['OPENDATA_LICENCE_URL']}).",
        "",
        "Seuls les enregistrements marqués « Public » sont publiés ; aucune donnée "
        "personnelle n'y figure (les réunions donnent le nombre de présents et "
        "d'excusés, jamais leurs noms : la page publique des réunions nomme "
        "celles et ceux qui y ont consenti, ces fichiers réutilisables non).",
        "",
        "Chaque table est fournie en CSV (UTF-8, séparateur virgule, dates au "
        "format ISO 8601, heures en UTC) et en JSON. `datapackage.json` les décrit "
        "selon la spécification Frictionless Data (Table Schema : types, clés "
        "primaires et étrangères). `catalogue.csv` liste les jeux de données selon "
        "le schéma SCDL « Catalogue » d'OpenDataFrance, version 0.1.3 "
        "(https://schema.data.gouv.fr/scdl/catalogue/) : une ligne par table "
        "publiée ; la période couverte va de la plus ancienne à la plus récente "
        "date de la table ; la date de première publication n'étant pas "
        "conservée, DATE_PUBL est, comme DATE_MAJ, celle des données publiées.",
        "",
    ]
    gaps = catalogue_gaps()
    if gaps:
        lines += [
            "**Catalogue à compléter** : tant que la configuration ne donne pas "
            "les valeurs suivantes, `catalogue.csv` n'est pas conforme au schéma.",
            "",
            *[f"- {gap}" for gap in gaps],
            "",
        ]
    for r in RESOURCES:
        lines += [
            f"## {r.title} — `{r.name}.csv`, `{r.name}.json`",
            "",
            r.description,
            "",
            f"Nombre de lignes : {row_counts[r.name]}.",
            "",
            "| Colonne | Type | Description |",
            "| --- | --- | --- |",
        ]
        for c in r.columns:
            required = " Obligatoire." if c.required else ""
            lines.append(f"| `{c.name}` | {c.type} | {c.description}{required} |")
        for fk in r.foreign_keys:
            lines.append("")
            lines.append(f"`{fk.column}` renvoie à `{fk.resource}.{fk.target}`.")
        lines.append("")
    return "\n".join(lines).encode("utf-8")


def build_package() -> Package:
    """Every public table, freshly read from the database."""
    files: dict[str, bytes] = {}
    row_counts: dict[str, int] = {}
    tables = []
    for resource in RESOURCES:
        rows = resource.rows()
        row_counts[resource.name] = len(rows)
        tables.append((resource, rows))
    generated_at = last_change()
    meta = datapackage(row_counts, generated_at)
    files["datapackage.json"] = (
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n"
    ).encode("utf-8")
    files["README.md"] = readme(row_counts, generated_at)
    files["catalogue.csv"] = catalogue_csv(catalogue_rows(tables, generated_at))
    for resource, rows in tables:
        files[f"{resource.name}.csv"] = to_csv(resource, rows)
        files[f"{resource.name}.json"] = to_json(rows, resource)
    return Package(files, generated_at, row_counts)
