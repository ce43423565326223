"""The compte rendu as an OpenDocument text (ODT), built with odfpy.

Styles are named ODF styles (headings, bold spans, bullet list) so that the file
opens cleanly in LibreOffice and Word and can be restyled there.
"""

from __future__ import annotations

import io
import zipfile

from flask import current_app
from odf import dc
from odf.opendocument import OpenDocumentText
from odf.style import (
    FontFace,
    Footer,
    Header,
    ListLevelProperties,
    MasterPage,
    PageLayout,
    PageLayoutProperties,
    ParagraphProperties,
    Style,
    TextProperties,
)
from odf.text import (
    A,
    H,
    LineBreak,
    List,
    ListItem,
    ListLevelStyleBullet,
    ListLevelStyleNumber,
    ListStyle,
    P,
    PageCount,
    PageNumber,
    Span,
)

from app.meetings.report import MinutesReport, markdown_tokens
from app.normalisers import soft_lines

#: The font the styles ask for, declared so that LibreOffice uses it (or a
#: metric-compatible sans-serif) instead of falling back to a serif.
FONT = "Liberation Sans"


def add_text(element, text: str | None) -> None:
    """Append ``text`` to an odfpy element, safely: a soft line break of Word
    (``\\x0b``, stored before forms refused it) becomes ``<text:line-break/>``,
    other control characters are dropped (odfpy writes them as they are, and
    the file is then no XML a word processor opens)."""
    for index, line in enumerate(soft_lines(text)):
        if index:
            element.addElement(LineBreak())
        if line:
            element.addText(line)


def one_line(text: str | None) -> str:
    """``text`` for an attribute or a metadata field: soft breaks as spaces,
    other control characters dropped."""
    return " ".join(soft_lines(text))


def _styles(doc: OpenDocumentText, letterhead: str) -> dict[str, Style]:
    styles = {}
    doc.fontfacedecls.addElement(
        FontFace(
            name=FONT,
            fontfamily=f"'{FONT}'",
            fontfamilygeneric="swiss",
            fontpitch="variable",
        )
    )
    layout = PageLayout(name="A4")
    layout.addElement(
        PageLayoutProperties(
            pagewidth="21cm",
            pageheight="29.7cm",
            margintop="2cm",
            marginbottom="2cm",
            marginleft="2cm",
            marginright="2cm",
            printorientation="portrait",
        )
    )
    doc.automaticstyles.addElement(layout)

    body = Style(name="Text_20_body", displayname="Text body", family="paragraph")
    body.addElement(ParagraphProperties(marginbottom="0.2cm"))
    # French language so that spelling and hyphenation work in the word processor.
    body.addElement(
        TextProperties(fontsize="11pt", fontname=FONT, language="fr", country="FR")
    )
    doc.styles.addElement(body)
    styles["body"] = body
    quote = Style(
        name="Quotations", family="paragraph", parentstylename=body
    )  # a quoted e-mail must not read as the group's own text
    quote.addElement(
        ParagraphProperties(
            marginleft="0.8cm",
            marginbottom="0.2cm",
            borderleft="0.06cm solid #808080",
            padding="0.2cm",
        )
    )
    quote.addElement(TextProperties(fontstyle="italic", color="#404040"))
    doc.styles.addElement(quote)
    styles["quote"] = quote
    for name, align in (("Header", "center"), ("Footer", "end")):
        style = Style(name=name, family="paragraph", parentstylename=body)
        style.addElement(ParagraphProperties(textalign=align))
        style.addElement(TextProperties(fontsize="9pt", color="#404040"))
        doc.styles.addElement(style)
        styles[name.lower()] = style

    # Letterhead on every page, page numbers in the footer.
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header = Header()
    header.addElement(P(stylename=styles["header"], text=one_line(letterhead)))
    master.addElement(header)
    footer = Footer()
    number = P(stylename=styles["footer"], text="Page ")
    number.addElement(PageNumber(selectpage="current", text="1"))
    number.addText(" / ")
    number.addElement(PageCount(text="1"))
    footer.addElement(number)
    master.addElement(footer)
    doc.masterstyles.addElement(master)
    for level, size in ((1, "18pt"), (2, "14pt"), (3, "12pt"), (4, "11pt")):
        heading = Style(
            name=f"Heading_20_{level}",
            displayname=f"Heading {level}",
            family="paragraph",
            parentstylename=body,
            defaultoutlinelevel=str(level),
        )
        heading.addElement(
            ParagraphProperties(
                margintop="0.4cm", marginbottom="0.2cm", keepwithnext="always"
            )
        )
        heading.addElement(TextProperties(fontsize=size, fontweight="bold"))
        doc.styles.addElement(heading)
        styles[f"h{level}"] = heading
    strong = Style(name="Strong_20_Emphasis", displayname="Strong", family="text")
    strong.addElement(TextProperties(fontweight="bold"))
    doc.styles.addElement(strong)
    styles["strong"] = strong
    emphasis = Style(name="Emphasis", family="text")
    emphasis.addElement(TextProperties(fontstyle="italic"))
    doc.styles.addElement(emphasis)
    styles["em"] = emphasis

    bullets = ListStyle(name="List_20_Bullet", displayname="List Bullet")
    for level in range(1, 4):
        bullet = ListLevelStyleBullet(level=str(level), bulletchar="•")
        bullet.addElement(
            ListLevelProperties(
                spacebefore=f"{0.6 * (level - 1):.1f}cm", minlabelwidth="0.6cm"
            )
        )
        bullets.addElement(bullet)
    doc.styles.addElement(bullets)
    styles["list"] = bullets
    numbers = ListStyle(name="List_20_Number", displayname="List Number")
    for level in range(1, 4):
        number = ListLevelStyleNumber(level=str(level), numformat="1", numsuffix=".")
        number.addElement(
            ListLevelProperties(
                spacebefore=f"{0.6 * (level - 1):.1f}cm", minlabelwidth="0.7cm"
            )
        )
        numbers.addElement(number)
    doc.styles.addElement(numbers)
    styles["numbers"] = numbers
    return styles


class _Writer:
    def __init__(self, letterhead: str = "") -> None:
        self.doc = OpenDocumentText()
        self.s = _styles(self.doc, letterhead)

    def heading(self, level: int, text: str) -> None:
        h = H(outlinelevel=level, stylename=self.s[f"h{level}"])
        add_text(h, text)
        self.doc.text.addElement(h)

    def para(self, text: str = "", label: str | None = None, parent=None) -> P:
        p = P(stylename=self.s["body"])
        if label:
            span = Span(stylename=self.s["strong"])
            add_text(span, label)
            p.addElement(span)
            p.addText(" ")
        if text:
            add_text(p, text)
        (parent if parent is not None else self.doc.text).addElement(p)
        return p

    def bullets(self, lines: list[str]) -> None:
        lst = List(stylename=self.s["list"])
        for line in lines:
            item = ListItem()
            p = P(stylename=self.s["body"])
            add_text(p, line)
            item.addElement(p)
            lst.addElement(item)
        self.doc.text.addElement(lst)

    def markdown(self, text: str, quote: bool = False) -> None:
        """Paragraphs, lists, headings and bold/italic/link spans of a Markdown text
        (``quote``: every paragraph in the quotation style)."""
        body = self.s["quote" if quote else "body"]
        containers = [self.doc.text]
        current: P | None = None
        quoted = 0  # depth of "> " quotes
        start = None  # number of an ordered list's first item ("3." stays 3)
        for tok in markdown_tokens(text):
            kind = tok.type
            if kind in ("bullet_list_open", "ordered_list_open"):
                style = "numbers" if kind == "ordered_list_open" else "list"
                lst = List(stylename=self.s[style])
                containers[-1].addElement(lst)
                containers.append(lst)
                first = tok.attrGet("start") if kind == "ordered_list_open" else None
                start = int(first) if first is not None else None
            elif kind in ("bullet_list_close", "ordered_list_close"):
                containers.pop()
            elif kind == "list_item_open":
                item = ListItem(startvalue=start) if start else ListItem()
                start = None
                containers[-1].addElement(item)
                containers.append(item)
            elif kind == "list_item_close":
                containers.pop()
            elif kind == "heading_open":
                current = H(outlinelevel=3, stylename=self.s["h3"])
                containers[-1].addElement(current)
            elif kind == "blockquote_open":
                quoted += 1
            elif kind == "blockquote_close":
                quoted -= 1
            elif kind == "paragraph_open":
                current = P(stylename=self.s["quote"] if quoted else body)
                containers[-1].addElement(current)
            elif kind in ("code_block", "fence"):
                for line in tok.content.rstrip("\n").split("\n"):
                    p = P(stylename=body)
                    add_text(p, line)
                    containers[-1].addElement(p)
            elif kind == "inline" and current is not None:
                self._inline(current, tok.children or [])
            elif kind in ("paragraph_close", "heading_close"):
                current = None

    def _inline(self, target, children) -> None:
        stack = [target]
        for child in children:
            kind = child.type
            if kind in ("strong_open", "em_open"):
                span = Span(
                    stylename=self.s["strong" if kind == "strong_open" else "em"]
                )
                stack[-1].addElement(span)
                stack.append(span)
            elif kind == "link_open":
                link = A(href=one_line(child.attrGet("href")), type="simple")
                stack[-1].addElement(link)
                stack.append(link)
            elif kind in ("strong_close", "em_close", "link_close") and len(stack) > 1:
                stack.pop()
            elif kind == "softbreak":
                stack[-1].addText(" ")
            elif kind == "hardbreak":
                stack[-1].addElement(LineBreak())
            elif kind in ("text", "code_inline", "html_inline"):
                add_text(stack[-1], child.content)

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.write(out)
        return _with_manifest_version(out.getvalue())


def _with_manifest_version(data: bytes) -> bytes:
    """The package with ``manifest:version="1.2"`` (ODF 1.2 requires it; odfpy
    builds its manifest while saving, with no way to set the attribute)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "META-INF/manifest.xml":
                text = content.decode("utf-8")
                text = text.replace(
                    "<manifest:manifest ",
                    '<manifest:manifest manifest:version="1.2" ',
                    1,
                ).replace(
                    'manifest:full-path="/"',
                    'manifest:full-path="/" manifest:version="1.2"',
                    1,
                )
                content = text.encode("utf-8")
            # mimetype stays first and stored, as odfpy wrote it.
            target.writestr(info, content, compress_type=info.compress_type)
    return out.getvalue()


def letterhead() -> str:
    """ "Conseil de développement du Pays de Lorient — 6 rue Alphonse Rio…"."""
    config = current_app.config
    parts = [config.get("ORG_NAME") or "", config.get("ORG_ADDRESS") or ""]
    return " — ".join(p for p in parts if p)


def _documents(w: _Writer, report: MinutesReport) -> None:
    """The meeting's documents, quoted texts and amendments (under the exchanges)."""
    if report.documents:
        w.heading(4, "Documents")
        w.bullets([d.line for d in report.documents])
    for d in report.quoted_documents:
        w.para(f"— {d.author} :" if d.author else ":", label=d.title)
        w.markdown(d.quote, quote=True)
    if report.amendments:
        w.heading(4, "Amendements examinés")
        w.bullets([a.line for a in report.amendments])


def to_odt(report: MinutesReport) -> bytes:
    w = _Writer(letterhead())
    w.doc.meta.addElement(
        dc.Title(text=one_line(f"Compte rendu — {report.heading} — {report.date}"))
    )
    w.doc.meta.addElement(dc.Language(text="fr-FR"))
    w.heading(1, report.kind)
    if report.group:
        w.heading(2, report.group)
    w.para(report.when, label="Date :")
    if report.cancelled:
        w.para(label=report.CANCELLED)
    if report.author:
        w.para(report.author, label="Rédaction :")
    w.heading(2, "Participants")
    w.para(", ".join(map(str, report.present)) or "—", label="Présents :")
    w.para(", ".join(map(str, report.excused)) or "—", label="Excusés :")
    w.heading(2, "Éléments de contexte, déroulement et décisions")
    w.para(report.objective or "—", label="Objectif de la réunion :")
    if report.context:
        w.heading(3, "Éléments de contexte")
        w.markdown(report.context)
    w.heading(3, "Échanges et informations")
    if report.exchanges:
        w.markdown(report.exchanges)
    else:
        w.para("—")
    _documents(w, report)
    w.heading(3, "Décisions")
    if report.decisions:
        w.bullets([f"{d.text}, délai : {d.deadline}" for d in report.decisions])
    else:
        w.para("—")
    w.heading(3, "Actions à venir")
    if report.actions:
        lines = []
        for a in report.actions:
            line = a.text
            if a.owner:
                line += f" — responsable : {a.owner}"
            lines.append(f"{line} — échéance : {a.deadline}")
        w.bullets(lines)
    else:
        w.para("—")
    w.heading(2, "Prochaine réunion")
    nxt = report.next_meeting
    if nxt is None:
        w.para("Non fixée.")
    else:
        w.para(nxt.when_where, label="Dates, horaires et lieu :")
        if nxt.documents_url:
            # "Google Drive partagé (https://…)": the name is the link.
            p = w.para(label="Lien documents :")
            link = A(href=one_line(nxt.documents_url), type="simple")
            add_text(link, nxt.documents_label or nxt.documents_url)
            p.addElement(link)
            if nxt.documents_label:
                add_text(p, f" ({nxt.documents_url})")
        elif nxt.documents_label:
            w.para(nxt.documents_label, label="Lien documents :")
    return w.bytes()
