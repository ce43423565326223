"""Read an uploaded table (CSV, XLSX, ODS) into headers and numbered rows."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class ImportFileError(ValueError):
    """The file cannot be read at all; the message is French and shown as is."""


@dataclass
class Table:
    headers: list[str]
    #: (line number in the file, cell values) for every non-empty data row.
    rows: list[tuple[int, list]] = field(default_factory=list)
    file_format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None


def normalise_header(text) -> str:
    """Lower-case ASCII letters and digits only: "Entré·e le" -> "entreele"."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", text.lower())


def detect_format(data: bytes, filename: str = "") -> str:
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                if "mimetype" in names and zf.read("mimetype").strip() == ODS_MIMETYPE:
                    return "ods"
                if "xl/workbook.xml" in names:
                    return "xlsx"
        except zipfile.BadZipFile as exc:
            raise ImportFileError("Le fichier est une archive abîmée.") from exc
        raise ImportFileError(
            "Format non reconnu : envoyez un fichier CSV, XLSX (Excel) ou ODS "
            "(LibreOffice)."
        )
    return "csv"


def read_table(data: bytes, filename: str = "") -> Table:
    """Headers (first non-empty row) and data rows with their line numbers."""
    if not data:
        raise ImportFileError("Le fichier est vide.")
    fmt = detect_format(data, filename)
    if fmt == "xlsx":
        raw_rows = _xlsx_rows(data)
        table = Table([], file_format="xlsx")
    elif fmt == "ods":
        raw_rows = _ods_rows(data)
        table = Table([], file_format="ods")
    else:
        text, encoding = decode_text(data)
        delimiter = detect_delimiter(text)
        raw_rows = _csv_rows(text, delimiter)
        table = Table([], file_format="csv", encoding=encoding, delimiter=delimiter)
    header_seen = False
    for line, values in raw_rows:
        cells = [_clean(v) for v in values]
        if all(c is None for c in cells):
            continue
        if not header_seen:
            table.headers = [str(c).strip() if c is not None else "" for c in cells]
            header_seen = True
            continue
        table.rows.append((line, cells))
    if not header_seen:
        raise ImportFileError("Le fichier ne contient aucune ligne.")
    while table.headers and not table.headers[-1]:
        table.headers.pop()
    return table


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def decode_text(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else Windows-1252 (Excel's French default)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            "Encodage du fichier non reconnu : enregistrez-le en CSV UTF-8."
        ) from exc


def detect_delimiter(text: str) -> str:
    """`;` or `,`, whichever splits the header line into more columns."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: len(next(csv.reader([first], delimiter=d), [])) for d in ";,\t"}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] > 1 else ","


def _csv_rows(text: str, delimiter: str):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for values in reader:
            yield start, values
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(
            f"Ligne {reader.line_num} : le fichier CSV est mal formé ({exc})."
        ) from exc


def _xlsx_rows(data: bytes):
    # openpyxl costs ~12 MB of memory: loaded by the first XLSX import only.
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError("Le classeur XLSX n'a pas pu être lu.") from exc
    try:
        ws = wb.worksheets[0]
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, list(values)
    finally:
        wb.close()


def _ods_rows(data: bytes):
    # odfpy costs ~12 MB of memory: loaded by the first ODS import only.
    from odf import opendocument, table, teletype
    from odf.namespaces import OFFICENS, TABLENS
    from odf.text import P

    try:
        doc = opendocument.load(io.BytesIO(data))
    except Exception as exc:
        raise ImportFileError("Le classeur ODS n'a pas pu être lu.") from exc
    sheets = doc.spreadsheet.getElementsByType(table.Table)
    if not sheets:
        raise ImportFileError("Le classeur ODS ne contient aucune feuille.")
    number = 0
    for tr in sheets[0].getElementsByType(table.TableRow):
        repeat_rows = int(tr.attributes.get((TABLENS, "number-rows-repeated"), 1))
        values: list = []
        for tc in tr.childNodes:
            if tc.qname[1] not in ("table-cell", "covered-table-cell"):
                continue
            repeat = int(tc.attributes.get((TABLENS, "number-columns-repeated"), 1))
            kind = tc.attributes.get((OFFICENS, "value-type"))
            if kind in ("float", "percentage", "currency"):
                value = tc.attributes.get((OFFICENS, "value"))
            elif kind == "date":
                value = tc.attributes.get((OFFICENS, "date-value"))
            elif kind == "boolean":
                value = tc.attributes.get((OFFICENS, "boolean-value"))
            else:
                paras = [teletype.extractText(p) for p in tc.getElementsByType(P)]
                value = "\n".join(paras) if paras else None
            # Spreadsheets pad rows with one empty cell repeated ~1000 times.
            if value is None and repeat > 100:
                repeat = 1
            values.extend([value] * repeat)
        for _ in range(
            min(repeat_rows, 1 if all(v is None for v in values) else repeat_rows)
        ):
            number += 1
            yield number, list(values)
        if repeat_rows > 1 and all(v is None for v in values):
            number += repeat_rows - 1
