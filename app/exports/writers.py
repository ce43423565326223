"""File formats of an export: CSV and JSON streamed, XLSX and ODS via a temp file.

Every writer takes the headers, the cell kinds and an iterator of row batches
(lists of cell values already made readable) and neutralises spreadsheet
formulas in text cells. The XLSX and ODS writers are in ``spreadsheets``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from app.exports.columns import BOOL, DATE, DATETIME, EURO, NUMBER, TEXT
from app.exports.spreadsheets import FORMULA_TRIGGERS, write_ods, write_xlsx
from app.normalisers import has_control_chars, without_control_chars
from app.timezone import PARIS

#: Written as the last line of a streamed export that failed midway.
ERROR_MARKER = (
    "### EXPORT INCOMPLET : une erreur est survenue, ce fichier est tronqué ###"
)


def neutralise(text: str) -> str:
    """Prefix a text cell that a spreadsheet would run as a formula."""
    if text and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class ExportFormat(str):
    """An export type code whose ``upper()`` is its French menu label.

    Flask-Admin's list template prints ``export_type|upper`` in the export menu;
    this keeps the stock template while showing "CSV pour Excel".
    """

    label = ""

    def __new__(cls, code: str, label: str):
        obj = super().__new__(cls, code)
        obj.label = label
        return obj

    def upper(self) -> str:  # noqa: D401 - used by the Jinja "upper" filter
        return self.label


FORMATS = {
    "csv": ExportFormat("csv", "CSV"),
    "csv-excel": ExportFormat("csv-excel", "CSV pour Excel"),
    "xlsx": ExportFormat("xlsx", "XLSX (Excel)"),
    "ods": ExportFormat("ods", "ODS (LibreOffice)"),
    "json": ExportFormat("json", "JSON"),
}
EXTENSIONS = {
    "csv": "csv",
    "csv-excel": "csv",
    "xlsx": "xlsx",
    "ods": "ods",
    "json": "json",
}
#: Flask adds "; charset=utf-8" to text types itself.
MIMETYPES = {
    "csv": "text/csv",
    "csv-excel": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
STREAMED = {"csv", "csv-excel", "json"}
#: Added to the file name of the Excel variant, so both CSV files can sit side by side.
SUFFIXES = {"csv-excel": "_excel"}


def download_name(label: str, fmt: str, moment: datetime) -> str:
    """``membres_2026-12-01_16-52.csv``: the list's French name and Paris time."""
    ascii_label = (
        unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_label.lower()).strip("-") or "export"
    stamp = moment.astimezone(PARIS).strftime("%Y-%m-%d_%H-%M")
    return f"{slug}_{stamp}{SUFFIXES.get(fmt, '')}.{EXTENSIONS[fmt]}"


_TRIGGER_SET = frozenset(FORMULA_TRIGGERS)


def _safe_text(value):
    # Control characters stored before forms refused them: XLSX and ODS (XML 1.0)
    # cannot hold them, and one such cell broke the whole file.
    if value and has_control_chars(value):
        value = without_control_chars(value)
    if value and value[0] in _TRIGGER_SET:
        return "'" + value
    return value


def _clean_text(value):
    # XLSX and ODS text cells are never formulas, but XML 1.0 cannot hold control
    # characters stored before forms refused them: one such cell broke the file.
    if value and has_control_chars(value):
        return without_control_chars(value)
    return value


def _yes_no(value):
    return None if value is None else ("Oui" if value else "Non")


def _iso(value):
    # SQLite hands dates back as ISO text already.
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _as_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _french_date(value):
    # French Excel and LibreOffice read "16/04/2019" as a date, ISO text as text.
    return None if value is None else f"{_as_date(value):%d/%m/%Y}"


def _french_datetime(value):
    # Already Paris time (columns.iso_datetime); seconds are not shown on screen.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value:%d/%m/%Y %H:%M}"


def _as_bool(value):
    return None if value is None else bool(value)


def _decimal_comma(value):
    return None if value is None else str(value).replace(".", ",")


def _json_number(value):
    return float(value) if isinstance(value, Decimal) else value


#: Per format, the last step applied to each kind of cell (None: as is).
#: csv.writer writes None as an empty cell and dates with str(), i.e. ISO 8601.
#: XLSX and ODS text cells are never formulas (quote-prefix style, string type):
#: no apostrophe there; the spreadsheet writers type every other cell.
FINISHERS: dict[str, dict] = {
    "csv": {TEXT: _safe_text, BOOL: _yes_no, DATETIME: _iso},
    "csv-excel": {
        TEXT: _safe_text,
        BOOL: _yes_no,
        DATE: _french_date,
        DATETIME: _french_datetime,
        NUMBER: _decimal_comma,
        EURO: _decimal_comma,
    },
    "json": {
        NUMBER: _json_number,
        EURO: _json_number,
        BOOL: _as_bool,
        DATE: _iso,
        DATETIME: _iso,
    },
    "xlsx": {TEXT: _clean_text, BOOL: _yes_no},
    "ods": {TEXT: _clean_text, BOOL: _yes_no},
}

__all__ = [
    "ERROR_MARKER",
    "FINISHERS",
    "FORMATS",
    "FORMULA_TRIGGERS",
    "csv_chunks",
    "download_name",
    "json_chunks",
    "neutralise",
    "write_ods",
    "write_xlsx",
]


def csv_chunks(
    headers: list[str], batches: Iterable, excel: bool = False
) -> Iterator[bytes]:
    """Encoded CSV, one chunk per batch; an error ends it with ERROR_MARKER."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n")
    if excel:
        buf.write("\ufeff")
    writer.writerow([neutralise(h) for h in headers])
    try:
        for batch in batches:
            writer.writerows(batch)
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
        if buf.tell():  # no rows at all: the header alone
            yield buf.getvalue().encode("utf-8")
    except Exception:
        buf.write("\r\n" + ERROR_MARKER + "\r\n")
        yield buf.getvalue().encode("utf-8")
        raise


def json_chunks(headers: list[str], batches: Iterable) -> Iterator[bytes]:
    """A JSON array of objects keyed by the French headers, streamed.

    On error the array is left unclosed and followed by an error object, so no
    JSON parser accepts the truncated file.
    """
    yield b"["
    first = True
    try:
        for batch in batches:
            parts = []
            for row in batch:
                obj = dict(zip(headers, row, strict=True))
                parts.append(
                    ("\n" if first else ",\n") + json.dumps(obj, ensure_ascii=False)
                )
                first = False
            yield "".join(parts).encode("utf-8")
        yield b"\n]\n"
    except Exception:
        marker = json.dumps({"erreur": ERROR_MARKER}, ensure_ascii=False)
        yield ("\n" + marker + "\n").encode("utf-8")
        raise
