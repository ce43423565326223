"""File formats of an export: CSV and JSON streamed, XLSX and ODS via a temp file.

Every writer takes the headers, the cell kinds and an iterator of row batches
(lists of cell values already made readable) and neutralises spreadsheet
formulas in text cells.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from app.exports.columns import BOOL, DATE, DATETIME, NUMBER, TEXT
from app.normalisers import has_control_chars, without_control_chars

#: First characters that make a spreadsheet evaluate a cell (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

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
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "csv-excel": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
STREAMED = {"csv", "csv-excel", "json"}


_TRIGGER_SET = frozenset(FORMULA_TRIGGERS)


def _safe_text(value):
    # Control characters stored before forms refused them: XLSX and ODS (XML 1.0)
    # cannot hold them, and one such cell broke the whole file.
    if value and has_control_chars(value):
        value = without_control_chars(value)
    if value and value[0] in _TRIGGER_SET:
        return "'" + value
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


def _as_bool(value):
    return None if value is None else bool(value)


def _decimal_comma(value):
    return None if value is None else str(value).replace(".", ",")


def _json_number(value):
    return float(value) if isinstance(value, Decimal) else value


def _naive(value):
    # Spreadsheets have no time zones: write the Paris wall-clock time.
    return None if value is None else value.replace(tzinfo=None)


#: Per format, the last step applied to each kind of cell (None: as is).
#: csv.writer writes None as an empty cell and dates with str(), i.e. ISO 8601.
FINISHERS: dict[str, dict] = {
    "csv": {TEXT: _safe_text, BOOL: _yes_no, DATETIME: _iso},
    "csv-excel": {
        TEXT: _safe_text,
        BOOL: _yes_no,
        DATETIME: _iso,
        NUMBER: _decimal_comma,
    },
    "json": {NUMBER: _json_number, BOOL: _as_bool, DATE: _iso, DATETIME: _iso},
    "xlsx": {TEXT: _safe_text, BOOL: _yes_no, DATE: _as_date, DATETIME: _naive},
    "ods": {TEXT: _safe_text, BOOL: _yes_no, DATE: _as_date, DATETIME: _naive},
}


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


def write_xlsx(headers, kinds, batches, title: str):
    """An XLSX workbook in a temporary file (openpyxl write-only mode)."""
    # openpyxl costs ~12 MB of memory: loaded by the first XLSX export only.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(title))
    ws.append([neutralise(h) for h in headers])
    formats = {DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm:ss"}
    dated = [(i, formats[k]) for i, k in enumerate(kinds) if k in formats]
    count = 0
    try:
        for batch in batches:
            for row in batch:
                out = list(row)
                for i, fmt in dated:
                    if out[i] is not None:
                        cell = WriteOnlyCell(ws, value=out[i])
                        cell.number_format = fmt
                        out[i] = cell
                ws.append(out)
                count += 1
    except BaseException:
        # Finish and delete the worksheet's own temporary file (openpyxl
        # otherwise leaves it open until garbage collection).
        ws.close()
        if getattr(ws, "_writer", None) is not None:
            ws._writer.cleanup()
        raise
    fh = tempfile.TemporaryFile()
    wb.save(fh)
    fh.seek(0)
    return fh, count


def _sheet_title(title: str) -> str:
    bad = "[]:*?/\\"
    clean = "".join("_" if c in bad else c for c in title)
    return clean[:31] or "Export"


ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
ODS_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="{name}">"""
ODS_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"


def _ods_text(text: str) -> str:
    lines = escape(text).split("\n")
    return "".join(f"<text:p>{line}</text:p>" for line in lines)


def _ods_cell(value, kind: str) -> str:
    if value is None:
        return "<table:table-cell/>"
    if kind == NUMBER:
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if kind in (DATE, DATETIME):
        iso = value.isoformat()
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
            f"<text:p>{iso}</text:p></table:table-cell>"
        )
    return (
        '<table:table-cell office:value-type="string">'
        f"{_ods_text(str(value))}</table:table-cell>"
    )


def write_ods(headers, kinds, batches, title: str):
    """An ODS spreadsheet in a temporary file, content.xml written row by row."""
    fh = tempfile.TemporaryFile()
    try:
        count = _write_ods_zip(fh, headers, kinds, batches, title)
    except BaseException:
        fh.close()
        raise
    fh.seek(0)
    return fh, count


def _write_ods_zip(fh, headers, kinds, batches, title: str) -> int:
    count = 0
    with zipfile.ZipFile(fh, "w") as zf:
        # The mimetype entry must come first and stay uncompressed (ODF 1.2, 3.3).
        zf.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        zf.writestr("META-INF/manifest.xml", ODS_MANIFEST, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("content.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w") as out:
            out.write(ODS_HEAD.format(name=escape(title, {'"': "&quot;"})).encode())
            header_cells = "".join(_ods_cell(neutralise(h), TEXT) for h in headers)
            out.write(f"<table:table-row>{header_cells}</table:table-row>".encode())
            for batch in batches:
                parts = []
                for row in batch:
                    cells = "".join(
                        _ods_cell(v, k) for v, k in zip(row, kinds, strict=True)
                    )
                    parts.append(f"<table:table-row>{cells}</table:table-row>")
                    count += 1
                out.write("".join(parts).encode("utf-8"))
            out.write(ODS_TAIL.encode())
    return count
