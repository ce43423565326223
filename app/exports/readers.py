"""Read an uploaded table (CSV, XLSX, ODS) into headers and numbered rows.

Every reader is bounded (issue 22): a file declares nothing the reader trusts.
Archives are checked (uncompressed size, compression ratio) before any parsing;
only the cells that exist are read (the sheet's declared dimension is ignored,
ODS repeat counts never materialise empty cells); limits on rows, columns,
characters per cell and cells in all end the read with a French message naming
the limit. The XML of both spreadsheet formats is parsed as a stream.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from xml.etree.ElementTree import ParseError, iterparse

from app.normalisers import has_control_chars

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class ImportFileError(ValueError):
    """The file cannot be read at all; the message is French and shown as is."""


def _n(number: int) -> str:
    """12 345 (narrow no-break space between thousands), as French text writes it."""
    return f"{number:,}".replace(",", "\u202f")


@dataclass(frozen=True)
class ReadLimits:
    """What one uploaded table may hold (configuration ``IMPORT_MAX_*``)."""

    rows: int = 200_000
    columns: int = 200
    cell_chars: int = 32_767  # Excel's own limit for a cell
    cells: int = 4_000_000
    #: Sum of the archive members' sizes once uncompressed (XLSX, ODS).
    uncompressed_bytes: int = 256 * 1024 * 1024
    #: Largest compression ratio of a member over 1 MB (zip bombs reach 1000+).
    compression_ratio: int = 100

    @classmethod
    def from_config(cls, config) -> ReadLimits:
        keys = {
            "rows": "IMPORT_MAX_ROWS",
            "columns": "IMPORT_MAX_COLUMNS",
            "cell_chars": "IMPORT_MAX_CELL_CHARS",
            "cells": "IMPORT_MAX_CELLS",
            "uncompressed_bytes": "IMPORT_MAX_UNCOMPRESSED_BYTES",
            "compression_ratio": "IMPORT_MAX_COMPRESSION_RATIO",
        }
        return cls(
            **{a: int(config[k]) for a, k in keys.items() if config.get(k) is not None}
        )


#: Members this small may compress as much as they like (a sheet of empty rows).
RATIO_FREE_BYTES = 1024 * 1024


def check_archive(zf: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Refuse an archive whose members would unpack to too much, before parsing.

    The sizes are those the archive declares: Python's zipfile never inflates a
    member beyond its declared size (it stops there and fails on the checksum).
    """
    total = 0
    for info in zf.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FREE_BYTES and ratio > limits.compression_ratio:
            raise ImportFileError(
                "Le fichier est refusé : une fois décompressé il grossirait "
                f"{_n(int(ratio))} fois (limite : {_n(limits.compression_ratio)} "
                "fois). Ce n'est pas un classeur ordinaire."
            )
    if total > limits.uncompressed_bytes:
        raise ImportFileError(
            "Le fichier est refusé : une fois décompressé il occuperait "
            f"{_n(total // (1024 * 1024))} Mo (limite : "
            f"{_n(limits.uncompressed_bytes // (1024 * 1024))} Mo). Découpez-le."
        )


class _Counter:
    """Counts what a reader produced and stops it at the limits."""

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self.rows = 0
        self.cells = 0

    def column(self, number: int, line: int) -> None:
        if number > self.limits.columns:
            raise ImportFileError(
                f"Ligne {line} : le fichier a plus de {_n(self.limits.columns)} "
                "colonnes, la limite acceptée. Supprimez les colonnes inutiles."
            )

    def cell(self, value, line: int) -> None:
        if isinstance(value, str) and len(value) > self.limits.cell_chars:
            raise ImportFileError(
                f"Ligne {line} : une cellule dépasse {_n(self.limits.cell_chars)} "
                "caractères, la limite acceptée."
            )

    def reserve(self, rows: int, cells: int) -> None:
        """Refuse now what ``rows`` more rows of ``cells`` cells would exceed (an
        ODS row repeated 20,000,000 times is refused before it is built)."""
        if self.rows + rows > self.limits.rows + 1:
            self._too_many_rows()
        if self.cells + cells > self.limits.cells:
            self._too_many_cells()

    def _too_many_rows(self):
        raise ImportFileError(
            f"Le fichier a plus de {_n(self.limits.rows)} lignes, la limite "
            "acceptée : découpez-le en plusieurs fichiers."
        )

    def _too_many_cells(self):
        raise ImportFileError(
            f"Le fichier a plus de {_n(self.limits.cells)} cellules remplies, "
            "la limite acceptée : découpez-le en plusieurs fichiers."
        )

    def row(self, values: list, line: int) -> None:
        self.column(len(values), line)
        self.rows += 1
        self.cells += len(values)
        if self.rows > self.limits.rows + 1:  # the header line is not a record
            self._too_many_rows()
        if self.cells > self.limits.cells:
            self._too_many_cells()


@dataclass
class Table:
    headers: list[str]
    #: (line number in the file, cell values) for every non-empty data row.
    rows: list[tuple[int, list]] = field(default_factory=list)
    file_format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None


_TAGS = {"d": date, "dt": datetime, "t": time}


def _dump_cell(value):
    if isinstance(value, datetime | date | time):
        tag = (
            "dt"
            if isinstance(value, datetime)
            else "d"
            if isinstance(value, date)
            else "t"
        )
        return {tag: value.isoformat()}
    if isinstance(value, timedelta):
        return {"s": value.total_seconds()}
    return value


def _load_cell(value):
    if isinstance(value, dict):
        ((tag, raw),) = value.items()
        if tag == "s":
            return timedelta(seconds=raw)
        return _TAGS[tag].fromisoformat(raw)
    return value


def table_to_json(table: Table) -> str:
    """The table read once, kept beside the upload: the review page loads it
    instead of parsing the spreadsheet again on every view."""
    return json.dumps(
        {
            "headers": table.headers,
            "rows": [
                [line, [_dump_cell(v) for v in cells]] for line, cells in table.rows
            ],
            "file_format": table.file_format,
            "encoding": table.encoding,
            "delimiter": table.delimiter,
        },
        ensure_ascii=False,
    )


def table_from_json(text: str) -> Table:
    data = json.loads(text)
    return Table(
        headers=data["headers"],
        rows=[(line, [_load_cell(v) for v in cells]) for line, cells in data["rows"]],
        file_format=data["file_format"],
        encoding=data["encoding"],
        delimiter=data["delimiter"],
    )


def normalise_header(text) -> str:
    """Lower-case ASCII letters and digits only: "Entré·e le" -> "entreele"."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", text.lower())


def detect_format(
    data: bytes, filename: str = "", limits: ReadLimits | None = None
) -> str:
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                check_archive(zf, limits or ReadLimits())
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


def read_table(
    data: bytes, filename: str = "", limits: ReadLimits | None = None
) -> Table:
    """Headers (first non-empty row) and data rows with their line numbers."""
    limits = limits or ReadLimits()
    if not data:
        raise ImportFileError("Le fichier est vide.")
    fmt = detect_format(data, filename, limits)
    counter = _Counter(limits)
    if fmt == "xlsx":
        raw_rows = _xlsx_rows(data, counter)
        table = Table([], file_format="xlsx")
    elif fmt == "ods":
        raw_rows = _ods_rows(data, counter)
        table = Table([], file_format="ods")
    else:
        text, encoding = decode_text(data)
        delimiter = detect_delimiter(text)
        raw_rows = _csv_rows(text, delimiter, counter)
        table = Table([], file_format="csv", encoding=encoding, delimiter=delimiter)
    header_seen = False
    for line, values in raw_rows:
        cells = [_clean(v, line) for v in values]
        if all(c is None for c in cells):
            continue
        counter.row(cells, line)
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


#: Word's and Excel's manual line breaks (vertical tab, form feed) are line breaks.
_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})


def _clean(value, line: int = 0):
    if isinstance(value, str):
        value = value.translate(_LINE_BREAKS).strip()
        if has_control_chars(value):
            raise ImportFileError(
                f"Ligne {line} : une cellule contient des caractères de contrôle "
                "invisibles ; enregistrez le fichier à nouveau depuis le tableur."
            )
        return value or None
    return value


def decode_text(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), UTF-16 (Excel's "Texte Unicode", with its BOM),
    else Windows-1252 (Excel's French default). Text holding NUL is refused: it is
    UTF-16 without a BOM or not text at all."""
    if data.startswith(b"\xef\xbb\xbf"):
        text, encoding = _decode(data[3:], "utf-8"), "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = _decode(data, "utf-16"), "utf-16"
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _decode(data, "cp1252"), "cp1252"
    if "\x00" in text:
        raise ImportFileError(
            "Encodage du fichier non reconnu (caractères nuls) : enregistrez-le "
            "en « CSV UTF-8 »."
        )
    return text, encoding


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            "Encodage du fichier non reconnu : enregistrez-le en CSV UTF-8."
        ) from exc


def detect_delimiter(text: str) -> str:
    """`;` or `,`, whichever splits the header line into more columns."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {}
    for d in ";,\t":
        try:
            counts[d] = len(next(csv.reader([first], delimiter=d), []))
        except csv.Error:  # a field over csv's own limit: reported when read
            counts[d] = 0
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] > 1 else ","


def _csv_rows(text: str, delimiter: str, counter: _Counter):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for values in reader:
            counter.column(len(values), start)
            for value in values:
                counter.cell(value, start)
            yield start, values
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            # csv stops at 131,072 characters, beyond any configured limit.
            counter.cell("x" * (counter.limits.cell_chars + 1), reader.line_num)
        raise ImportFileError(
            f"Ligne {reader.line_num} : le fichier CSV est mal formé ({exc})."
        ) from exc


def _xlsx_rows(data: bytes, counter: _Counter):
    """Rows of the first sheet: only the cells present in the file, with their
    column checked before any row is built (the declared dimension is ignored)."""
    # openpyxl costs ~12 MB of memory: loaded by the first XLSX import only.
    from openpyxl import load_workbook
    from openpyxl.worksheet._reader import WorkSheetParser

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError("Le classeur XLSX n'a pas pu être lu.") from exc
    try:
        ws = wb.worksheets[0]
        # ws.iter_rows() pads every row to the declared dimension (A1:XFD1048576
        # is 17 billion cells): the sheet's own parser yields the cells present.
        with ws._get_source() as src:
            parser = WorkSheetParser(
                src,
                ws._shared_strings,
                data_only=True,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            for number, cells in parser.parse():
                if not cells:
                    continue
                width = max(c["column"] for c in cells)
                counter.column(width, number)
                values: list = [None] * width
                for c in cells:
                    counter.cell(c["value"], number)
                    values[c["column"] - 1] = c["value"]
                yield number, values
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError("Le classeur XLSX n'a pas pu être lu.") from exc
    finally:
        wb.close()


_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
T_TABLE, T_ROW, T_CELL, T_COVERED = (
    f"{{{_TABLE}}}table",
    f"{{{_TABLE}}}table-row",
    f"{{{_TABLE}}}table-cell",
    f"{{{_TABLE}}}covered-table-cell",
)
T_P = f"{{{_TEXT}}}p"
ROWS_REPEATED = f"{{{_TABLE}}}number-rows-repeated"
COLUMNS_REPEATED = f"{{{_TABLE}}}number-columns-repeated"
VALUE_TYPE = f"{{{_OFFICE}}}value-type"
_VALUE_ATTRS = {
    "float": f"{{{_OFFICE}}}value",
    "percentage": f"{{{_OFFICE}}}value",
    "currency": f"{{{_OFFICE}}}value",
    "date": f"{{{_OFFICE}}}date-value",
    "boolean": f"{{{_OFFICE}}}boolean-value",
}


def _repeat(element, attr: str) -> int:
    try:
        return max(int(element.get(attr, 1)), 1)
    except ValueError:
        return 1


def _para_text(p) -> str:
    """Text of a <text:p>, with its spaces (<text:s c=n>), tabs and line breaks."""
    parts: list[str] = []

    def walk(el) -> None:
        if el.text:
            parts.append(el.text)
        for child in el:
            tag = child.tag.rpartition("}")[2]
            if tag == "s":
                parts.append(" " * min(_repeat(child, f"{{{_TEXT}}}c"), 1000))
            elif tag == "tab":
                parts.append("\t")
            elif tag == "line-break":
                parts.append("\n")
            else:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(p)
    return "".join(parts)


def _cell_value(cell):
    kind = cell.get(VALUE_TYPE)
    if kind in _VALUE_ATTRS:
        return cell.get(_VALUE_ATTRS[kind])
    paras = [_para_text(p) for p in cell.iter(T_P)]
    return "\n".join(paras) if paras else None


def _ods_rows(data: bytes, counter: _Counter):
    """Rows of the first sheet of content.xml, parsed as a stream.

    Repeat counts are never expanded into empty cells or rows: an empty cell
    repeated 200,000,000 times moves the column number, an empty row repeated
    20,000,000 times the line number; a repeated non-empty cell or row counts
    against the limits before it is built.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        src = zf.open("content.xml")
    except (KeyError, zipfile.BadZipFile) as exc:
        raise ImportFileError("Le classeur ODS n'a pas pu être lu.") from exc
    try:
        yield from _ods_stream(src, counter)
    except ParseError as exc:
        raise ImportFileError("Le classeur ODS n'a pas pu être lu.") from exc
    finally:
        src.close()
        zf.close()


def _ods_stream(src, counter: _Counter) -> Iterator[tuple[int, list]]:
    depth = 0  # tables entered; only the first one is read
    tables = 0
    number = 0
    values: list = []
    column = 0
    parents: list = []  # open elements: a finished row is detached from its parent
    for event, el in iterparse(src, events=("start", "end")):
        if event == "start":
            parents.append(el)
        else:
            parents.pop()
        if el.tag == T_TABLE:
            if event == "start":
                depth += 1
                tables += 1
            else:
                depth -= 1
                if depth == 0:
                    return
            continue
        if depth != 1 or tables != 1:
            continue
        if el.tag == T_ROW and event == "start":
            values, column = [], 0
        elif el.tag in (T_CELL, T_COVERED) and event == "end":
            repeat = _repeat(el, COLUMNS_REPEATED)
            value = _cell_value(el)
            if value is None:
                column += repeat
            else:
                counter.column(column + repeat, number + 1)
                counter.cell(value, number + 1)
                values.extend([None] * (column - len(values)))
                values.extend([value] * repeat)
                column += repeat
            el.clear()
        elif el.tag == T_ROW and event == "end":
            repeat = _repeat(el, ROWS_REPEATED)
            if not values:
                number += repeat
            else:
                counter.reserve(repeat, repeat * len(values))
                for _ in range(repeat):
                    number += 1
                    yield number, list(values)
            el.clear()
            if parents:
                parents[-1].remove(el)
