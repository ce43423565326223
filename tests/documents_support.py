"""Sample files and helpers shared by the document tests."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import Document, DocumentChunk, DocumentVersion

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe"
    b"\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def zip_bytes(entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def odt_bytes(text: str = "Avis du groupe") -> bytes:
    """A real ODT written by odfpy (what LibreOffice opens)."""
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    doc = OpenDocumentText()
    doc.text.addElement(P(text=text))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
        'openxmlformats.org/package/2006/content-types"><Override PartName="/word/'
        'document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'wordprocessingml.document.main+xml"/></Types>'
    )
    return zip_bytes(
        [("[Content_Types].xml", types), ("word/document.xml", "<w:document/>")]
    )


def odt_bomb() -> bytes:
    """A ZIP named .odt whose content unpacks to 1000 times its size."""
    return zip_bytes(
        [
            ("mimetype", "application/vnd.oasis.opendocument.text"),
            ("content.xml", b"0" * (20 * 1024 * 1024)),
        ]
    )


def make_document(**values) -> Document:
    values.setdefault("title", "Avis sur le STN")
    document = Document(**values)
    db.session.add(document)
    db.session.commit()
    return document


def stored_counts() -> tuple[int, int]:
    """(versions, chunks) in the database."""
    versions = db.session.execute(
        sa.select(sa.func.count()).select_from(DocumentVersion)
    ).scalar()
    chunks = db.session.execute(
        sa.select(sa.func.count()).select_from(DocumentChunk)
    ).scalar()
    db.session.rollback()
    return versions, chunks


def upload(client, document_id: int, data: bytes, name: str, note: str = ""):
    """POST a file to the document's files page, as a browser does.

    The body is encoded in memory: the test client would put a large one in a
    temporary file that it leaves open.
    """
    fields = MultiDict({"file": FileStorage(io.BytesIO(data), filename=name)})
    fields.add("note", note)
    boundary, body = encode_multipart(fields)
    return client.post(
        f"/admin/document/files/upload/?id={document_id}",
        data=body,
        content_type=f'multipart/form-data; boundary="{boundary}"',
    )
