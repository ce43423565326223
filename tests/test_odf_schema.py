"""ODS exports and the compte rendu ODT validated against the OASIS ODF 1.2 schema."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models import Meeting
from tests.test_exports import fetch

SCHEMAS = Path(__file__).parent / "schemas" / "odf-1.2"
MAIN = SCHEMAS / "OpenDocument-v1.2-os-schema.rng"
MANIFEST = SCHEMAS / "OpenDocument-v1.2-os-manifest-schema.rng"


def require_jing() -> str:
    found = shutil.which("jing")
    if found:
        return found
    message = "jing absent : lancez .ci/install-office"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _parts(data: bytes, outdir: Path, stem: str) -> tuple[list[Path], Path]:
    """The XML parts of a package, written out; (document parts, manifest)."""
    outdir.mkdir(parents=True, exist_ok=True)
    documents = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name in ("content.xml", "styles.xml", "meta.xml", "settings.xml"):
                path = outdir / f"{stem}-{name}"
                path.write_bytes(zf.read(name))
                documents.append(path)
        manifest = outdir / f"{stem}-manifest.xml"
        manifest.write_bytes(zf.read("META-INF/manifest.xml"))
    return documents, manifest


def _jing(jing: str, schema: Path, files: list[Path]) -> None:
    # -i: the ODF schema's ID-type declarations do not pass jing's DTD
    # compatibility checks (a known issue of the OASIS schema), so skip those.
    result = subprocess.run(
        [jing, "-i", str(schema), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ods_exports_and_odt_compte_rendu_follow_the_odf_schema(
    admin_client, demo, tmp_path
):
    jing = require_jing()
    documents, manifests = [], []
    for name in ("meeting", "plan_action", "member", "attendance", "measurement"):
        data = fetch(admin_client, f"/admin/{name}/export/ods/").data
        parts, manifest = _parts(data, tmp_path, name)
        documents += parts
        manifests.append(manifest)
    meeting = demo.session.execute(
        sa.select(Meeting).where(Meeting.exchanges.is_not(None))
    ).scalar_one()
    odt = admin_client.get(f"/admin/meeting/report/odt/?id={meeting.id}").data
    parts, manifest = _parts(odt, tmp_path, "compte-rendu")
    assert {p.name for p in parts} >= {
        "compte-rendu-content.xml",
        "compte-rendu-styles.xml",
    }
    documents += parts
    manifests.append(manifest)
    # Two jing runs (the schema takes a while to load): the documents, the manifests.
    _jing(jing, MAIN, documents)
    _jing(jing, MANIFEST, manifests)


#: Word's soft line break (\x0b) and other control characters, as stored before
#: forms refused them (issue 22, finding 7).
DIRTY = "Premier\x0bsecond\x01 point\x1b"


def _odfpy_paragraphs(data: bytes) -> list[str]:
    """The text of each paragraph and heading, read back by odfpy."""
    from odf import teletype
    from odf.opendocument import load
    from odf.text import H, P

    document = load(io.BytesIO(data))
    return [
        teletype.extractText(el)
        for kind in (H, P)
        for el in document.text.getElementsByType(kind)
    ]


def test_control_characters_stored_in_texts_make_valid_odt_files(
    admin_client, db, tmp_path
):
    """A soft line break becomes <text:line-break/>, other control characters
    go: the compte rendu and the avis stay valid ODF that odfpy opens."""
    from app.models import (
        Action,
        Amendment,
        AmendmentKind,
        AmendmentStatus,
        Decision,
        Member,
        Plan,
        PlanAction,
    )

    jing = require_jing()
    from app.timezone import PARIS

    meeting = Meeting(
        starts_at=datetime(2024, 3, 5, 18, 0, tzinfo=PARIS),
        place=f"Salle {DIRTY}",
        objective=DIRTY,
        context=f"**{DIRTY}**",
        exchanges=f"- {DIRTY}\n\n[lien\x01]({'https://example.org/a'})\n",
        documents_url="https://example.org/\x01docs",
    )
    meeting.decisions.append(Decision(text=DIRTY, asap=True))
    plan = Plan(name=f"Plan\x0b{DIRTY}", short_name="STN")
    action = PlanAction(plan=plan, number=7, title="Données")
    db.session.add_all([meeting, plan, action])
    db.session.flush()
    db.session.add(Action(title=DIRTY, meeting=meeting, asap=True))
    db.session.add(Member(first_name=DIRTY, last_name="Le Berre\x0b"))
    db.session.add(
        Amendment(
            plan_action=action,
            kind=AmendmentKind.add,
            text=DIRTY,
            status=AmendmentStatus.accepted,
        )
    )
    db.session.commit()
    files = {
        "compte-rendu": admin_client.get(f"/admin/meeting/report/odt/?id={meeting.id}"),
        "avis": admin_client.get(f"/admin/plan/avis/odt/?id={plan.id}"),
    }
    documents = []
    for stem, response in files.items():
        assert response.status_code == 200, stem
        parts, _ = _parts(response.data, tmp_path, stem)
        documents += parts
        content = next(p for p in parts if p.name.endswith("content.xml")).read_text()
        # odfpy alone wrote each of them as U+FFFD (a question mark in a box).
        assert "\ufffd" not in content and "\x01" not in content
        assert "second point" in content
        paragraphs = _odfpy_paragraphs(response.data)
        # The soft break is a line break inside the paragraph, not a space.
        assert any("Premier\nsecond point" in p for p in paragraphs), stem
    # The list exports (ODS) of the same texts, valid too.
    ods = fetch(admin_client, "/admin/member/export/ods/").data
    parts, _ = _parts(ods, tmp_path, "membres")
    assert "\x0b" not in parts[0].read_text()
    _jing(jing, MAIN, documents + parts)
