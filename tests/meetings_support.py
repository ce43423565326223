"""Helpers of the meeting tests: read the text of page sections and ODT files."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from xml.etree import ElementTree

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}


class _SectionText(HTMLParser):
    """Collects the visible text inside every element that has an id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.texts: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        ident = dict(attrs).get("id")
        self.stack.append((tag, ident))
        if ident:
            self.texts.setdefault(ident, [])

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for _tag, ident in self.stack:
            if ident:
                self.texts[ident].append(data)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def section_texts(html: str) -> dict[str, str]:
    parser = _SectionText()
    parser.feed(html)
    return {k: squash(" ".join(v)) for k, v in parser.texts.items()}


ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def odt_text(data: bytes) -> str:
    """Check the ODF package structure and return the document's text."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        # ODF: "mimetype" comes first, stored uncompressed, then the manifest.
        assert names[0] == "mimetype"
        assert zf.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        assert "META-INF/manifest.xml" in names
        for name in ("content.xml", "styles.xml", "META-INF/manifest.xml"):
            ElementTree.fromstring(zf.read(name))  # well-formed XML
        root = ElementTree.fromstring(zf.read("content.xml"))
    blocks = []
    for el in root.iter():
        if el.tag in (f"{{{ODF_TEXT}}}p", f"{{{ODF_TEXT}}}h"):
            blocks.append("".join(el.itertext()))
    return squash("\n".join(blocks))
