"""The compte rendu files: ODT styles and Markdown structure, cancelled meetings."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from app.models import Meeting, MeetingStatus, Member, WorkingGroup

PARIS = ZoneInfo("Europe/Paris")
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}
EXCHANGES = """Le groupe a reçu ce courriel :

> Bonjour,
> je propose trois amendements.

Adresse :\\
6 rue Alphonse Rio\\
Lorient

3. troisième point
4. quatrième point
"""


def q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


@pytest.fixture
def meeting(db):
    m = Meeting(
        group=WorkingGroup(name="Transition"),
        starts_at=datetime(2024, 3, 5, 18, 0, tzinfo=PARIS),
        place="Salle A",
        author=Member(first_name="Anne", last_name="Martin"),
        objective="Préparer l'avis",
        exchanges=EXCHANGES,
    )
    db.session.add(m)
    db.session.commit()
    return m


def _odt(admin_client, meeting) -> dict[str, ET.Element]:
    data = admin_client.get(f"/admin/meeting/report/odt/?id={meeting.id}").data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist()[0] == "mimetype"
        assert zf.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        return {
            name: ET.fromstring(zf.read(name))
            for name in ("content.xml", "styles.xml", "META-INF/manifest.xml")
        }


def _paragraph_styles(root) -> dict[str, str]:
    """Text of each paragraph -> its style name."""
    return {
        "".join(p.itertext()): p.get(q("text", "style-name"))
        for p in root.iter(q("text", "p"))
    }


def test_odt_declares_the_font_its_styles_use(admin_client, meeting):
    files = _odt(admin_client, meeting)
    declared = {
        f.get(q("style", "name"))
        for root in files.values()
        for f in root.iter(q("style", "font-face"))
    }
    used = {
        t.get(q("style", "font-name"))
        for t in files["styles.xml"].iter(q("style", "text-properties"))
        if t.get(q("style", "font-name"))
    }
    assert used == {"Liberation Sans"}
    assert used <= declared


def test_odt_quotes_line_breaks_and_list_numbers(admin_client, meeting):
    content = _odt(admin_client, meeting)["content.xml"]
    styles = _paragraph_styles(content)
    assert styles["Bonjour, je propose trois amendements."] == "Quotations"
    assert styles["Le groupe a reçu ce courriel :"] == "Text_20_body"
    (address,) = [
        p
        for p in content.iter(q("text", "p"))
        if "".join(p.itertext()) == ("Adresse :6 rue Alphonse RioLorient")
    ]
    assert len(address.findall("text:line-break", NS)) == 2
    items = [
        li
        for lst in content.iter(q("text", "list"))
        for li in lst.findall("text:list-item", NS)
    ]
    numbered = [li for li in items if "troisième" in "".join(li.itertext())]
    assert numbered[0].get(q("text", "start-value")) == "3"


def test_odt_has_letterhead_page_numbers_and_kept_headings(app, admin_client, meeting):
    files = _odt(admin_client, meeting)
    master = files["styles.xml"].find(".//style:master-page", NS)
    header = "".join(master.find("style:header", NS).itertext())
    assert app.config["ORG_NAME"] in header and app.config["ORG_ADDRESS"] in header
    footer = master.find("style:footer", NS)
    assert footer.find(".//text:page-number", NS) is not None
    assert footer.find(".//text:page-count", NS) is not None
    for style in files["styles.xml"].iter(q("style", "style")):
        if style.get(q("style", "name")).startswith("Heading_20_"):
            props = style.find("style:paragraph-properties", NS)
            assert props.get(q("fo", "keep-with-next")) == "always"


def test_odt_manifest_has_its_version(admin_client, meeting):
    manifest = _odt(admin_client, meeting)["META-INF/manifest.xml"]
    assert manifest.get(q("manifest", "version")) == "1.2"
    root = [
        e
        for e in manifest.iter(q("manifest", "file-entry"))
        if e.get(q("manifest", "full-path")) == "/"
    ]
    assert root[0].get(q("manifest", "version")) == "1.2"


def test_cancelled_meeting_says_so_in_every_output(db, admin_client, meeting):
    for path in ("", "odt/", "md/"):
        body = admin_client.get(f"/admin/meeting/report/{path}?id={meeting.id}").data
        assert "Réunion annulée".encode() not in body
    meeting.status = MeetingStatus.cancelled
    db.session.commit()
    html = admin_client.get(f"/admin/meeting/report/?id={meeting.id}")
    assert "Réunion annulée." in html.get_data(as_text=True)
    md = admin_client.get(f"/admin/meeting/report/md/?id={meeting.id}")
    assert "**Réunion annulée.**" in md.get_data(as_text=True)
    assert md.headers["Content-Type"] == "text/markdown; charset=utf-8"
    content = _odt(admin_client, meeting)["content.xml"]
    texts = ["".join(p.itertext()).strip() for p in content.iter(q("text", "p"))]
    assert "Réunion annulée." in texts
