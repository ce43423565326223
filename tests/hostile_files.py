"""Hostile spreadsheets and CSV files, generated (never committed as large files).

Each function returns the bytes of one file that drove the server to minutes of
CPU or gigabytes of memory before the readers were bounded (issue 22, findings 1,
2 and 8). ``python -m tests.hostile_files DIR`` writes them all to DIR, to try
them by hand on the import screen.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

XLSX_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
XLSX_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
XLSX_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Feuille1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
XLSX_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _xlsx(sheet_chunks) -> bytes:
    """A minimal workbook whose first sheet is written chunk by chunk (so that a
    sheet of hundreds of megabytes is never held in memory)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", XLSX_CONTENT_TYPES)
        zf.writestr("_rels/.rels", XLSX_RELS)
        zf.writestr("xl/workbook.xml", XLSX_WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", XLSX_WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            for chunk in sheet_chunks:
                out.write(chunk.encode())
    return buf.getvalue()


def xlsx_declared_dimension() -> bytes:
    """1.6 KB: declares A1:XFD1048576, one header cell and one cell at XFD1048576
    (the reader used to pad 1,048,576 rows of 16,384 cells: 47 minutes of CPU)."""
    return _xlsx(
        [
            SHEET_HEAD,
            '<dimension ref="A1:XFD1048576"/><sheetData>',
            f'<row r="1">{_inline("A1", "Nom")}</row>',
            f'<row r="1048576">{_inline("XFD1048576", "x")}</row>',
            "</sheetData></worksheet>",
        ]
    )


def xlsx_far_column() -> bytes:
    """Cells in column XFD on the first rows (16,384 cells per row)."""
    rows = "".join(
        f'<row r="{r}">{_inline(f"A{r}", "Nom")}{_inline(f"XFD{r}", "x")}</row>'
        for r in range(1, 50)
    )
    return _xlsx([SHEET_HEAD, "<sheetData>", rows, "</sheetData></worksheet>"])


def _empty_rows(count: int, per_chunk: int = 20_000):
    chunk = "<row/>" * per_chunk
    for _ in range(count // per_chunk):
        yield chunk


def xlsx_zip_bomb(megabytes: int = 300) -> bytes:
    """About 300 KB that unpacks to ``megabytes`` of empty rows."""
    rows = megabytes * 1024 * 1024 // len("<row/>")
    return _xlsx(
        [
            SHEET_HEAD,
            "<sheetData>",
            f'<row r="1">{_inline("A1", "Nom")}</row>',
            *_empty_rows(rows),
            "</sheetData></worksheet>",
        ]
    )


ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""
ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    '<office:body><office:spreadsheet><table:table table:name="Feuille1">'
)
ODS_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"


def _text_cell(text: str, repeat: int = 1) -> str:
    extra = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (
        f'<table:table-cell office:value-type="string"{extra}>'
        f"<text:p>{text}</text:p></table:table-cell>"
    )


def _ods(content_chunks) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo("mimetype"), ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED
        )
        zf.writestr("META-INF/manifest.xml", ODS_MANIFEST, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("content.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as out:
            for chunk in content_chunks:
                out.write(chunk.encode())
    return buf.getvalue()


def _header_row() -> str:
    return (
        f"<table:table-row>{_text_cell('Nom')}{_text_cell('Prénom')}</table:table-row>"
    )


def ods_columns_repeated() -> bytes:
    """A filled cell repeated 200,000,000 times across."""
    return _ods(
        [
            ODS_HEAD,
            _header_row(),
            f"<table:table-row>{_text_cell('x', 200_000_000)}</table:table-row>",
            ODS_TAIL,
        ]
    )


def ods_rows_repeated() -> bytes:
    """A filled row repeated 20,000,000 times down."""
    return _ods(
        [
            ODS_HEAD,
            _header_row(),
            '<table:table-row table:number-rows-repeated="20000000">'
            f"{_text_cell('Soudy')}{_text_cell('Eric')}</table:table-row>",
            ODS_TAIL,
        ]
    )


def ods_empty_repeats() -> bytes:
    """What LibreOffice really writes: empty cells and rows repeated to the sheet's
    end. Legitimate: read as two lines."""
    empty_cells = '<table:table-cell table:number-columns-repeated="1048574"/>'
    return _ods(
        [
            ODS_HEAD,
            f"<table:table-row>{_text_cell('Nom')}{_text_cell('Prénom')}{empty_cells}</table:table-row>",
            f"<table:table-row>{_text_cell('Soudy')}{_text_cell('Eric')}{empty_cells}</table:table-row>",
            f'<table:table-row table:number-rows-repeated="1048574">{empty_cells}</table:table-row>',
            ODS_TAIL,
        ]
    )


def ods_zip_bomb(megabytes: int = 300) -> bytes:
    """content.xml of ``megabytes`` of empty rows, compressed about 1000 times."""
    chunk = "<table:table-row/>" * 20_000
    count = megabytes * 1024 * 1024 // len(chunk)
    return _ods([ODS_HEAD, _header_row(), *([chunk] * count), ODS_TAIL])


def csv_long_field(size: int = 200 * 1024) -> bytes:
    """A first line whose one field is over csv's own 128 KB limit."""
    return ("Nom;" + "x" * size + "\nSoudy;Eric\n").encode()


def csv_utf16() -> bytes:
    """Excel's "Texte Unicode": UTF-16 with its byte order mark, tab-separated."""
    return "Nom\tPrénom\nBréhaut\tSolenn\n".encode("utf-16")


HOSTILE = {
    "dimension-xfd1048576.xlsx": xlsx_declared_dimension,
    "colonne-xfd.xlsx": xlsx_far_column,
    "bombe.xlsx": xlsx_zip_bomb,
    "colonnes-repetees.ods": ods_columns_repeated,
    "lignes-repetees.ods": ods_rows_repeated,
    "bombe.ods": ods_zip_bomb,
    "champ-long.csv": csv_long_field,
}


def main(target: str) -> None:
    """Write every hostile file into ``target``."""
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in HOSTILE.items():
        (folder / name).write_bytes(make())
        print(folder / name)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "hostile-files")
