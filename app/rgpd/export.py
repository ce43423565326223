"""The right of access and portability: one ZIP with everything about a member.

Each section of ``registry.HOLDINGS`` becomes ``<section>.json`` and
``<section>.csv`` with French headers; e-mails and convocations come from
``app.mail.history``; the change-log entries about the person are streamed
(``historique.csv`` / ``historique.jsonl``) so that 100,000 entries stay in
bounded memory. The export itself is logged in the data transfer journal.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa

from app.exports import audit
from app.extensions import db
from app.history.recorder import is_secret
from app.mail.history import member_mail_export
from app.models import ChangeLog, Member, TransferOperation
from app.rgpd.registry import HOLDINGS, Holding, holding_rows_query
from app.timezone import PARIS, paris_time

#: Rows read per query for the change log (bounded memory).
BATCH = 1000
ZIP_TIME = (2000, 1, 1, 0, 0, 0)

README = """Export des données personnelles — {name} (membre n° {id})
Produit le {when} par l'outil de gestion du conseil, au titre des articles 15
(droit d'accès) et 20 (droit à la portabilité) du RGPD.

Chaque rubrique existe en JSON (pour un autre logiciel) et en CSV (pour un
tableur, séparateur virgule, UTF-8) :

{sections}

Les dates sont à l'heure de Paris (format ISO 8601). Les textes des comptes
rendus et des documents que la personne a rédigés ne sont pas recopiés : ils
contiennent les propos d'autres personnes ; leur référence est donnée.
Pour toute question : le secrétariat du conseil.
"""

SECTION_TITLES = {
    "fiche": "la fiche du membre",
    "groupes": "les participations aux groupes de travail",
    "presences": "les présences aux réunions",
    "actions": "les actions de suivi dont la personne est responsable",
    "comptes_rendus_rediges": "les comptes rendus rédigés (références)",
    "documents_rediges": "les documents rédigés (références)",
    "amendements_proposes": "les amendements proposés",
    "consentements": "les consentements donnés et retirés",
    "compte": "le compte de connexion lié, s'il existe",
    "courriels": "les courriels envoyés à la personne",
    "convocations": "les convocations et les réponses données",
    "historique": "les entrées de l'historique des modifications la concernant",
}


def _plain(value: Any) -> Any:
    """A JSON-friendly value: dates in ISO form, enums as their French label."""
    if isinstance(value, datetime):
        return value.astimezone(PARIS).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return getattr(value, "label", value.value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(holding: Holding) -> list[sa.Column]:
    table = holding.model.__table__
    names = holding.columns or [c.name for c in table.columns]
    return [table.c[n] for n in names if not is_secret(n)]


def _header(column: sa.Column) -> str:
    return column.info.get("label") or {"id": "N°"}.get(column.name, column.name)


def _holding_records(holding: Holding, member_id: int) -> list[dict[str, Any]]:
    columns = _columns(holding)
    records = []
    for obj in db.session.execute(holding_rows_query(holding, member_id)).scalars():
        record = {}
        for column in columns:
            key = next(
                p.key
                for p in holding.model.__mapper__.column_attrs
                if column in p.columns
            )
            record[_header(column)] = _plain(getattr(obj, key))
        records.append(record)
    return records


def _write_section(zf: zipfile.ZipFile, name: str, records: list[dict]) -> int:
    _write(zf, f"{name}.json", json.dumps(records, ensure_ascii=False, indent=2))
    headers: list[str] = []
    for record in records:
        headers += [k for k in record if k not in headers]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    for record in records:
        writer.writerow([_csv_cell(record.get(h)) for h in headers])
    _write(zf, f"{name}.csv", out.getvalue())
    return len(records)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _write(zf: zipfile.ZipFile, path: str, text: str) -> None:
    info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text.encode("utf-8"))


def history_targets(member_id: int) -> list[tuple[str, list[int]]]:
    """(table, ids) whose change-log entries are about the member."""
    targets = []
    for holding in HOLDINGS:
        if not holding.history:
            continue
        column = getattr(holding.model, holding.link)
        ids = list(
            db.session.execute(
                sa.select(holding.model.id).where(column == member_id)
            ).scalars()
        )
        if ids:
            targets.append((holding.model.__tablename__, ids))
    return targets


def history_entries(member_id: int) -> Iterator[dict[str, Any]]:
    """The change-log entries about the member, read ``BATCH`` rows at a time."""
    log = ChangeLog.__table__
    for table_name, ids in history_targets(member_id):
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            last_id = 0
            while True:
                rows = db.session.execute(
                    sa.select(log)
                    .where(
                        log.c.record_type == table_name,
                        log.c.record_id.in_(chunk),
                        log.c.id > last_id,
                    )
                    .order_by(log.c.id)
                    .limit(BATCH)
                ).all()
                if not rows:
                    break
                last_id = rows[-1].id
                for row in rows:
                    yield {
                        "Date": _plain(row.changed_at),
                        "Compte": row.actor_label,
                        "Type de fiche": row.record_type,
                        "N° de fiche": row.record_id,
                        "Fiche": row.record_label,
                        "Opération": _plain(row.kind),
                        "Champs modifiés": row.changes,
                        "Remarque": row.note,
                    }


HISTORY_HEADERS = [
    "Date",
    "Compte",
    "Type de fiche",
    "N° de fiche",
    "Fiche",
    "Opération",
    "Champs modifiés",
    "Remarque",
]


def _write_history(zf: zipfile.ZipFile, entries: Iterable[dict]) -> int:
    """Stream the entries into historique.csv and historique.jsonl."""
    count = 0
    csv_info = zipfile.ZipInfo("historique.csv", date_time=ZIP_TIME)
    csv_info.compress_type = zipfile.ZIP_DEFLATED
    # One entry at a time into the CSV; the JSON Lines copy is written in a
    # second pass over the same query (a ZIP can only write one member at once).
    with zf.open(csv_info, "w") as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HISTORY_HEADERS)
        for entry in entries:
            writer.writerow([_csv_cell(entry[h]) for h in HISTORY_HEADERS])
            count += 1
        out.flush()
        out.detach()
    return count


def _write_history_jsonl(zf: zipfile.ZipFile, entries: Iterable[dict]) -> None:
    info = zipfile.ZipInfo("historique.jsonl", date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w") as raw:
        for entry in entries:
            raw.write((json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))


def write_member_export(fh, member_id: int) -> int:
    """Write the member's ZIP to the binary file ``fh``; return the row count.

    Raises LookupError for an unknown member. The export is logged.
    """
    member = db.session.get(Member, member_id)
    if member is None:
        raise LookupError(f"Aucun membre n° {member_id}.")
    total = 0
    sections = []
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for holding in HOLDINGS:
            if holding.export:
                total += _write_section(
                    zf, holding.section, _holding_records(holding, member_id)
                )
                sections.append(holding.section)
        for name, records in member_mail_export(member_id).items():
            total += _write_section(zf, name, records)
            sections.append(name)
        total += _write_history(zf, history_entries(member_id))
        _write_history_jsonl(zf, history_entries(member_id))
        sections.append("historique")
        listing = "\n".join(
            f"- {name} : {SECTION_TITLES.get(name, name)}" for name in sections
        )
        _write(
            zf,
            "LISEZMOI.txt",
            README.format(
                name=member.full_name,
                id=member.id,
                when=paris_time(datetime.now().astimezone()),
                sections=listing,
            ),
        )
    audit.record(
        TransferOperation.export,
        "rgpd",
        total,
        file_format="zip",
        details=f"Export des données personnelles du membre n° {member_id}",
    )
    return total


def export_filename(member_id: int) -> str:
    return f"donnees-personnelles-membre-{member_id}.zip"
