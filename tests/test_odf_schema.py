"""ODS exports and the compte rendu ODT validated against the OASIS ODF 1.2 schema."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
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
