"""Helpers of the meeting tests: read the text of page sections and ODT files."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from xml.etree import ElementTree

from markdown_it import MarkdownIt

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


ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ODF_XLINK = "http://www.w3.org/1999/xlink"


def odt_sections(data: bytes) -> list[tuple[str, list]]:
    """The ODT body as (heading, blocks) in document order.

    A block is a paragraph's text, or a list as the list of its items' texts;
    links are kept as ("link", href) blocks after their paragraph.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = ElementTree.fromstring(zf.read("content.xml"))
    body = root.find(f"{{{ODF_OFFICE}}}body/{{{ODF_OFFICE}}}text")
    assert body is not None
    sections: list[tuple[str, list]] = []
    for el in body:
        tag = el.tag.rpartition("}")[2]
        if tag == "h":
            sections.append((squash("".join(el.itertext())), []))
        elif not sections:
            continue
        elif tag == "p":
            sections[-1][1].append(squash("".join(el.itertext())))
            for link in el.iter(f"{{{ODF_TEXT}}}a"):
                sections[-1][1].append(("link", link.get(f"{{{ODF_XLINK}}}href")))
        elif tag == "list":
            items = el.findall(f"{{{ODF_TEXT}}}list-item")
            sections[-1][1].append([squash("".join(i.itertext())) for i in items])
    return sections


def _inline_text(token) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return squash("".join(parts))


def markdown_sections(text: str) -> list[tuple[str, list]]:
    """The Markdown document as (heading, blocks), read by a CommonMark parser.

    Same shapes as ``odt_sections``: a paragraph's text, a list of item texts,
    ("link", href) after a paragraph holding a link.
    """
    tokens = MarkdownIt("commonmark").parse(text)
    sections: list[tuple[str, list]] = []
    depth = 0  # inside a list
    items: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            if depth == 1:
                items = []
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            if depth == 0 and sections:
                sections[-1][1].append(items)
        elif tok.type != "inline":
            continue
        elif tokens[i - 1].type == "heading_open":
            sections.append((_inline_text(tok), []))
        elif not sections:
            continue
        elif depth:
            items.append(_inline_text(tok))
        else:
            sections[-1][1].append(_inline_text(tok))
            for child in tok.children or []:
                if child.type == "link_open":
                    sections[-1][1].append(("link", child.attrGet("href")))
    return sections
