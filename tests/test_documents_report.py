"""The meeting's documents and amendments in the compte rendu (HTML, ODT, Markdown),
and the demo's contribution and avis circuit."""

from __future__ import annotations

import io

import sqlalchemy as sa
from odf import teletype
from odf.opendocument import load
from odf.text import H, P

from app.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    Meeting,
    TransmissionMeans,
)

QUOTE_START = "Je suis assez d'accord avec l'avis (critique) préparé par le CDPL"
AMENDMENT_7 = "Définir une stratégie de diffusion des données publiques"


def _meeting(db) -> Meeting:
    return (
        db.session.execute(sa.select(Meeting).order_by(Meeting.starts_at))
        .scalars()
        .first()
    )


def test_demo_holds_the_contribution_and_the_avis_circuit(demo):
    contribution = demo.session.execute(
        sa.select(Document).where(Document.kind == DocumentKind.contribution)
    ).scalar_one()
    assert contribution.author.full_name == "Philippe Ladame"
    assert contribution.body.startswith(QUOTE_START)
    assert "logiciels libres et des formats ouverts" in contribution.body
    assert contribution.quote_in_minutes
    avis = demo.session.execute(
        sa.select(Document).where(Document.kind == DocumentKind.opinion)
    ).scalar_one()
    # Being modified by the group; the circuit is decided, neither dated nor
    # its means given.
    assert avis.status == DocumentStatus.review
    assert [(t.recipient, t.means, t.note, t.sent_on) for t in avis.transmissions] == [
        (
            "Solenn Bréhaut",
            TransmissionMeans.other,
            "Pour intégration dans le document officiel",
            None,
        ),
        ("élus", TransmissionMeans.other, "Ensuite transmission aux élus", None),
        (
            "presse",
            TransmissionMeans.other,
            "Par la suite organisation d'un point presse",
            None,
        ),
    ]


def test_compte_rendu_page_lists_documents_quote_and_amendments(demo, reader_client):
    meeting = _meeting(demo)
    html = reader_client.get(f"/admin/meeting/report/?id={meeting.id}").get_data(
        as_text=True
    )
    exchanges = html.split('id="cr-exchanges"')[1].split('id="cr-decisions"')[0]
    assert (
        "Contribution : Courriel de Philippe Ladame sur l&#39;avis du groupe de travail"
        in exchanges
    )
    assert "Avis : Avis du groupe de travail sur le STN" in exchanges
    quote = exchanges.split("<blockquote>")[1].split("</blockquote>")[0]
    assert "Je suis assez d'accord" in quote
    assert quote.count("<li>") == 3  # the three amendments of the e-mail
    amendments = exchanges.split('id="cr-amendments"')[1]
    assert "<strong>Action 7 du STN — compléter</strong>" in amendments
    assert "<strong>Action 12 du STN — remplacer</strong>" in amendments
    assert "<strong>Action 13 du STN — compléter</strong>" in amendments
    assert AMENDMENT_7 in amendments and "proposé par Philippe Ladame" in amendments


def test_compte_rendu_markdown_quotes_the_contribution(demo, reader_client):
    meeting = _meeting(demo)
    text = reader_client.get(f"/admin/meeting/report/md/?id={meeting.id}").get_data(
        as_text=True
    )
    exchanges = text.split("### Échanges et informations")[1].split("### Décisions")[0]
    assert "#### Documents" in exchanges
    assert f"> {QUOTE_START}" in exchanges
    assert "> 1. Compléter l'intitulé de l'action 7" in exchanges
    assert "#### Amendements examinés" in exchanges
    assert f"- Action 7 du STN — compléter : « {AMENDMENT_7}" in exchanges
    assert "- Action 12 du STN — remplacer : « Recenser" in exchanges


def test_compte_rendu_odt_quotes_the_contribution(demo, reader_client):
    meeting = _meeting(demo)
    data = reader_client.get(f"/admin/meeting/report/odt/?id={meeting.id}").get_data()
    doc = load(io.BytesIO(data))
    headings = [teletype.extractText(h) for h in doc.getElementsByType(H)]
    assert "Documents" in headings and "Amendements examinés" in headings
    assert headings.index("Documents") < headings.index("Décisions")
    quoted = [
        teletype.extractText(p)
        for p in doc.getElementsByType(P)
        if p.getAttribute("stylename") == "Quotations"
    ]
    assert quoted[0].startswith(QUOTE_START)
    assert any("logiciels libres" in q for q in quoted)
    texts = [teletype.extractText(p) for p in doc.getElementsByType(P)]
    assert any(t.startswith("Action 12 du STN — remplacer : « Recenser") for t in texts)


def test_a_document_not_quoted_is_only_listed(demo, admin_client):
    meeting = _meeting(demo)
    contribution = demo.session.execute(
        sa.select(Document).where(Document.kind == DocumentKind.contribution)
    ).scalar_one()
    contribution.quote_in_minutes = False
    demo.session.commit()
    html = admin_client.get(f"/admin/meeting/report/?id={meeting.id}").get_data(
        as_text=True
    )
    assert "Courriel de Philippe Ladame" in html
    assert "<blockquote>" not in html and "Je suis assez d'accord" not in html


def test_compte_rendu_pdf_quotes_the_contribution_and_lists_amendments(
    demo, reader_client
):
    """The PDF is the page printed: the documents follow into it (issues 13 and 15)."""
    from pypdf import PdfReader

    meeting = _meeting(demo)
    response = reader_client.get(f"/admin/meeting/report/pdf/?id={meeting.id}")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    exchanges = text.split("Échanges et informations")[1].split("Décisions")[0]
    assert "Courriel de Philippe Ladame" in exchanges
    assert "Je suis assez d'accord avec l'avis" in exchanges
    assert "Amendements examinés" in exchanges
    assert "Action 12 du STN — remplacer" in exchanges
