"""The avis's amendment list in the council's words, as Markdown and ODT (issue 16)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import sqlalchemy as sa

from app.models import AmendmentStatus, Meeting, WorkingGroup
from app.plans.avis import build_avis, to_markdown
from tests.plans_support import amendment_of, stn

#: The closing part of the avis as Philippe Ladame's e-mail words it (source minutes).
EXPECTED = """En conséquence le CDPL suggère les amendements suivants :

1) Compléter l'intitulé de l'action 7 comme suit : Définir une stratégie de \
diffusion des données publiques, particulièrement celles contribuant à la \
transparence et à la démocratie citoyenne.
2) Remplacer l'intitulé de l'action 12 par recenser les initiatives \
d'accompagnement social aux apprentissages et usages de base de l'informatique \
connectée et les conforter par des dispositifs de soutien financier à hauteur de \
25% du budget total qui sera mobilisé dans le cadre du STN.
3) Compléter l'intitulé de l'action 13 comme suit : Favoriser le développement des \
outils numériques sur des solutions innovantes et encourager l'usage des logiciels \
libres et des formats ouverts.
"""


def test_markdown_in_the_source_wording(demo):
    plan, _ = stn(demo)
    assert to_markdown(build_avis(plan, org="CDPL")) == EXPECTED


def test_downloads_markdown_and_odt(admin_client, demo):
    plan, _ = stn(demo)
    md = admin_client.get(f"/admin/plan/avis/md/?id={plan.id}")
    assert md.status_code == 200
    assert md.headers["Content-Type"].startswith("text/markdown")
    assert md.get_data(as_text=True) == EXPECTED
    odt = admin_client.get(f"/admin/plan/avis/odt/?id={plan.id}")
    assert odt.headers["Content-Type"] == "application/vnd.oasis.opendocument.text"
    assert "attachment" in odt.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(odt.data)) as z:
        assert z.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        content = z.read("content.xml").decode("utf-8")
    for line in EXPECTED.replace("'", "&apos;").splitlines():
        if line:
            assert line.replace("&apos;", "'") in content.replace("&apos;", "'")
    page = admin_client.get(f"/admin/plan/avis/?id={plan.id}").get_data(as_text=True)
    assert "1) Compléter l&#39;intitulé de l&#39;action 7 comme suit" in page


def test_only_retained_amendments_of_the_chosen_group(admin_client, demo):
    plan, actions = stn(demo)
    amendment_of(demo, actions[13]).status = AmendmentStatus.proposed
    amendment_of(demo, actions[7]).status = AmendmentStatus.accepted
    other = WorkingGroup(name="Mobilités")
    demo.session.add(other)
    demo.session.commit()
    avis = build_avis(plan)
    assert [line[:40] for line in avis.lines] == [
        "1) Compléter l'intitulé de l'action 7 co",
        "2) Remplacer l'intitulé de l'action 12 p",
    ]
    group = demo.session.execute(
        sa.select(WorkingGroup).filter_by(name="Innovation sociale numérique")
    ).scalar_one()
    assert len(build_avis(plan, group_id=group.id).lines) == 2
    assert build_avis(plan, group_id=other.id).lines == []
    html = admin_client.get(
        f"/admin/plan/avis/?id={plan.id}&group={other.id}"
    ).get_data(as_text=True)
    assert "Aucun amendement retenu." in html
    assert (
        admin_client.get(f"/admin/plan/avis/?id={plan.id}&group=x").status_code == 200
    )
    assert demo.session.execute(sa.select(Meeting)).scalars().first() is not None


def test_a_proposed_budget_is_worded_too(demo):
    plan, actions = stn(demo)
    amendment_of(demo, actions[13]).proposed_budget = Decimal(20000)
    demo.session.commit()
    line = build_avis(plan).lines[2]
    assert line.endswith("Lui affecter un budget de 20\u202f000\u202f€.")
    amendment_of(demo, actions[12]).proposed_budget = Decimal(90000)
    demo.session.commit()
    assert (
        build_avis(plan)
        .lines[1]
        .endswith("Porter son budget de 150\u202f000\u202f€ à 90\u202f000\u202f€.")
    )


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_pdf_in_the_source_wording(admin_client, demo):
    plan, _ = stn(demo)
    pdf = admin_client.get(f"/admin/plan/avis/pdf/?id={plan.id}")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = " ".join(_pdf_text(pdf.data).split())
    assert "En conséquence le CDPL suggère les amendements suivants" in text
    assert "Compléter l'intitulé de l'action 7 comme suit" in text
    assert "Remplacer l'intitulé de l'action 12" in text
    assert "logiciels libres et des formats ouverts" in text


def test_attached_to_the_avis_document_as_a_new_version(admin_client, demo):
    """The generated list follows the documents' circuit: a version of the avis."""
    from app.models import Document, DocumentKind, DocumentVersion

    plan, _ = stn(demo)
    avis = (
        demo.session.execute(
            sa.select(Document).where(Document.kind == DocumentKind.opinion)
        )
        .scalars()
        .first()
    )
    before = len(avis.versions)
    page = admin_client.get(f"/admin/plan/avis/?id={plan.id}").get_data(as_text=True)
    assert "Joindre comme nouvelle version" in page and avis.title in page
    for fmt, suffix in (("odt", ".odt"), ("pdf", ".pdf")):
        response = admin_client.post(
            f"/admin/plan/avis/attach/?id={plan.id}",
            data={"document": str(avis.id), "format": fmt},
        )
        assert response.status_code == 302
        assert f"/admin/document/files/?id={avis.id}" in response.headers["Location"]
        latest = (
            demo.session.execute(
                sa.select(DocumentVersion)
                .where(DocumentVersion.document_id == avis.id)
                .order_by(DocumentVersion.number.desc())
            )
            .scalars()
            .first()
        )
        assert latest.filename.endswith(suffix)
        assert "Amendements générés" in (latest.note or "")
    demo.session.expire_all()
    assert len(demo.session.get(Document, avis.id).versions) == before + 2
    download = admin_client.get(
        f"/admin/document/files/download/?id={avis.id}&version={latest.id}"
    )
    assert download.status_code == 200
    assert "logiciels libres" in " ".join(_pdf_text(download.data).split())


def test_attach_refuses_a_document_that_is_not_an_avis(admin_client, demo):
    from app.models import Document, DocumentKind, DocumentVersion

    plan, _ = stn(demo)
    other = (
        demo.session.execute(
            sa.select(Document).where(Document.kind != DocumentKind.opinion)
        )
        .scalars()
        .first()
    )
    count = demo.session.execute(
        sa.select(sa.func.count()).select_from(DocumentVersion)
    ).scalar()
    response = admin_client.post(
        f"/admin/plan/avis/attach/?id={plan.id}",
        data={"document": str(other.id), "format": "odt"},
        follow_redirects=True,
    )
    assert "Choisissez le document « Avis »" in response.get_data(as_text=True)
    assert (
        demo.session.execute(
            sa.select(sa.func.count()).select_from(DocumentVersion)
        ).scalar()
        == count
    )
