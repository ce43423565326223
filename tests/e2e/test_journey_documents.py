"""Journey of the "Documents" area: the source's contribution, the avis, its file
and its circuit, entered through the screens, then read in the compte rendu."""

from __future__ import annotations

import sqlalchemy as sa

from tests.e2e.helpers import (
    add_inline,
    assert_accessible,
    expect_saved,
    inline_id,
    save_form,
    select2_choose,
)
from tests.e2e.test_journey_meetings import _seed_meeting

CONTRIBUTION = (
    "Je suis assez d'accord avec l'avis (critique) préparé par le CDPL.\n\n"
    "En conséquence le CDPL suggère les amendements suivants :\n\n"
    "1. Compléter l'intitulé de l'action 7\n"
    "2. Remplacer l'intitulé de l'action 12\n"
    "3. Compléter l'intitulé de l'action 13\n"
)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _seed(e2e_db) -> dict[str, int]:
    from app.models import Member

    ids = _seed_meeting(e2e_db)
    with e2e_db.session() as session:
        ladame = Member(first_name="Philippe", last_name="Ladame")
        session.add(ladame)
        session.commit()
        ids["Ladame"] = ladame.id
    return ids


def _new_document(page, title: str, kind: str) -> None:
    page.goto("/admin/document/new/")
    page.locator("#title").fill(title)
    select2_choose(page, "kind", kind)
    select2_choose(page, "meeting", "Ajustement", "16/04/2019")


def test_contribution_avis_file_and_circuit_reach_the_compte_rendu(page, e2e_db):
    from app.models import Document, DocumentKind, DocumentStatus

    ids = _seed(e2e_db)
    # The contribution e-mail, quoted in the compte rendu.
    _new_document(page, "Contribution de Philippe Ladame", "Contribution")
    page.locator("#body").fill(CONTRIBUTION)
    page.locator("#quote_in_minutes").check()
    select2_choose(page, "author", "Ladame", "Philippe Ladame")
    assert_accessible(page, "nouveau document")
    save_form(page)
    expect_saved(page)

    # The avis, then its file: a wrong one first, refused next to the field.
    _new_document(page, "Avis du CDPL sur le STN", "Avis")
    save_form(page)
    expect_saved(page)
    with e2e_db.session() as session:
        avis_id = session.execute(
            sa.select(Document.id).where(Document.kind == DocumentKind.opinion)
        ).scalar_one()
    page.goto(f"/admin/document/files/?id={avis_id}")
    page.locator("#file").set_input_files(
        {"name": "avis.pdf", "mimeType": "application/pdf", "buffer": b"<html></html>"}
    )
    page.locator("#note").fill("Version relue par le groupe")
    with page.expect_navigation():
        page.get_by_role("button", name="Déposer").click()
    error = page.locator("#file-error").inner_text()
    assert "ne correspond pas à son extension" in error, error
    assert page.locator("#note").input_value() == "Version relue par le groupe"
    assert_accessible(page, "fichiers du document, dépôt refusé")
    page.locator("#file").set_input_files(
        {"name": "avis.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Déposer").click()
    assert "enregistré comme version 1" in page.locator(".alert-success").inner_text()
    assert page.locator("#document-versions a", has_text="avis.pdf").count() == 1

    # The circuit: validé, then transmis with its first transmissions.
    page.goto(f"/admin/document/edit/?id={avis_id}")
    select2_choose(page, "status", "Validé")
    save_form(page)
    assert (
        "ne passe pas de « Brouillon » à « Validé »"
        in page.locator(".invalid-feedback").first.inner_text()
    )
    for step in ("En relecture", "Validé"):
        page.goto(f"/admin/document/edit/?id={avis_id}")
        select2_choose(page, "status", step)
        save_form(page)
        expect_saved(page)
    page.goto(f"/admin/document/edit/?id={avis_id}")
    select2_choose(page, "status", "Transmis")
    row = add_inline(page, "transmissions")
    select2_choose(page, inline_id("transmissions", row, "member"), "Bréhaut")
    page.locator("#" + inline_id("transmissions", row, "note")).fill(
        "Intégration au document officiel"
    )
    row = add_inline(page, "transmissions")
    page.locator("#" + inline_id("transmissions", row, "recipient_text")).fill(
        "élus de Lorient Agglomération"
    )
    row = add_inline(page, "transmissions")
    page.locator("#" + inline_id("transmissions", row, "recipient_text")).fill("presse")
    page.locator("#" + inline_id("transmissions", row, "note")).fill("Point presse")
    assert_accessible(page, "document avec transmissions")
    save_form(page)
    expect_saved(page)

    page.goto(f"/admin/document/details/?id={avis_id}")
    timeline = page.locator("#status-timeline").inner_text()
    assert "Validé → Transmis" in timeline, timeline
    assert_accessible(page, "fiche du document")

    page.goto(f"/admin/meeting/report/?id={ids['meeting']}")
    documents = page.locator("#cr-documents").inner_text()
    assert (
        "Contribution : Contribution de Philippe Ladame (Philippe Ladame)" in documents
    )
    assert "Avis : Avis du CDPL sur le STN" in documents
    quote = page.locator("#cr-documents blockquote").inner_text()
    assert "Je suis assez d'accord" in quote and "action 12" in quote

    with e2e_db.session() as session:
        avis = session.get(Document, avis_id)
        assert avis.status is DocumentStatus.sent
        assert [t.recipient for t in avis.transmissions] == [
            "Solenn Bréhaut",
            "élus de Lorient Agglomération",
            "presse",
        ]
        assert [v.filename for v in avis.versions] == ["avis.pdf"]
        contribution = session.execute(
            sa.select(Document).where(Document.kind == DocumentKind.contribution)
        ).scalar_one()
        assert contribution.author_id == ids["Ladame"]
        assert contribution.body.startswith("Je suis assez d'accord")
