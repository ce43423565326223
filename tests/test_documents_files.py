"""Files of a document: versions in the database, safe uploads and downloads."""

from __future__ import annotations

import hashlib
import threading

import pytest
import sqlalchemy as sa

from app.documents import storage
from app.documents.safety import Limits, UploadError, check_upload, clean_filename
from app.extensions import db as _db
from app.models import Document, DocumentVersion
from tests.documents_support import (
    HTML,
    PDF,
    PNG,
    SVG_WITH_SCRIPT,
    docx_bytes,
    make_document,
    odt_bomb,
    odt_bytes,
    stored_counts,
    upload,
    zip_bytes,
)

LIMITS = Limits()


# ----- the checks themselves ---------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data", "media_type"),
    [
        ("avis.pdf", PDF, "application/pdf"),
        ("avis.odt", odt_bytes(), "application/vnd.oasis.opendocument.text"),
        (
            "avis.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("photo.png", PNG, "image/png"),
        ("courriel.txt", "Bonjour à tous\n".encode(), "text/plain; charset=utf-8"),
        (
            "liste.csv",
            "nom;prénom\n".encode("cp1252"),
            "text/csv; charset=windows-1252",
        ),
        ("note.md", b"# Titre\n\n- point\n", "text/markdown; charset=utf-8"),
    ],
)
def test_accepted_files_get_the_type_of_their_content(name, data, media_type):
    checked = check_upload(name, data, LIMITS)
    assert checked.media_type == media_type
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("avis.pdf", HTML, "c'est une page HTML"),
        ("avis.odt", PDF, "c'est un PDF"),
        ("avis.odt", docx_bytes(), "c'est un fichier .docx"),
        ("avis.docx", zip_bytes([("a.txt", "x")]), "c'est une archive ZIP"),
        ("image.png", SVG_WITH_SCRIPT, "c'est une image SVG"),
        ("dessin.svg", SVG_WITH_SCRIPT, "« .svg » ne sont pas acceptés"),
        ("page.txt", HTML, "c'est une page HTML"),
        ("binaire.txt", b"\x00\x01\x02abc", "un fichier binaire"),
        ("vide.pdf", b"", "Le fichier est vide"),
        ("programme.exe", b"MZ\x90\x00", "« .exe » ne sont pas acceptés"),
        ("avis.odt", odt_bomb(), "bombe de décompression"),
        ("../../etc/passwd.pdf", PDF, "contient un chemin"),
        ("avis\x00.pdf", PDF, "caractères de contrôle"),
        ("rapport\u202efdp.exe", PDF, "caractères invisibles"),
        ("a" * 300 + ".pdf", PDF, "trop long (304 caractères, 150 au plus)"),
        ("sans-extension", PDF, "n'a pas d'extension"),
    ],
)
def test_refused_files_say_why_in_french(name, data, message):
    with pytest.raises(UploadError) as info:
        check_upload(name, data, LIMITS)
    assert message in str(info.value)


def test_an_oversized_file_is_refused_with_the_limit():
    with pytest.raises(UploadError) as info:
        check_upload("gros.pdf", PDF + b"0" * 100, Limits(max_bytes=100))
    assert "dépasse la taille permise (100 octets au plus)" in str(info.value)
    assert Limits.from_config({}).max_bytes == 20 * 1024 * 1024


def test_an_archive_with_too_many_entries_is_refused():
    many = zip_bytes(
        [("mimetype", "application/vnd.oasis.opendocument.text")]
        + [(f"f{i}", "") for i in range(30)]
    )
    with pytest.raises(UploadError, match="31 éléments"):
        check_upload("avis.odt", many, Limits(max_entries=20))


def test_names_are_cleaned():
    assert (
        clean_filename("C:\\Users\\eric\\Avis v1.2.final.PDF") == "Avis v1_2_final.pdf"
    )
    assert clean_filename("  .cache.pdf ") == "cache.pdf"
    assert clean_filename('avis<"2019">.odt') == "avis__2019__.odt"


# ----- upload and download through the screens ----------------------------------
def test_editor_uploads_versions_and_reader_downloads(editor_client, reader_client):
    document = make_document()
    first = upload(editor_client, document.id, PDF, "avis.pdf", note="Premier jet")
    assert first.status_code == 302
    odt = odt_bytes()
    second = upload(editor_client, document.id, odt, "Avis modifié.odt")
    assert second.status_code == 302
    page = editor_client.get(f"/admin/document/files/?id={document.id}").get_data(
        as_text=True
    )
    assert "Avis modifié.odt" in page and "avis.pdf" in page and "Premier jet" in page
    versions = (
        _db.session.execute(sa.select(DocumentVersion).order_by(DocumentVersion.number))
        .scalars()
        .all()
    )
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].uploaded_by_label == editor_client.user.email
    assert _db.session.get(Document, document.id).current_version.number == 2

    # The lecteur sees the list and downloads any version, byte for byte.
    html = reader_client.get(f"/admin/document/files/?id={document.id}").get_data(
        as_text=True
    )
    assert "avis.pdf" in html and 'enctype="multipart/form-data"' not in html
    response = reader_client.get(
        f"/admin/document/files/download/?version={versions[0].id}"
    )
    assert response.status_code == 200
    assert response.get_data() == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Length"] == str(len(PDF))
    got = reader_client.get(f"/admin/document/files/download/?version={versions[1].id}")
    assert (
        "filename*=UTF-8''Avis%20modifi%C3%A9.odt" in got.headers["Content-Disposition"]
    )
    assert got.get_data() == odt

    # A lecteur does not upload nor choose.
    assert upload(reader_client, document.id, PDF, "x.pdf").status_code == 403
    refused = reader_client.post(
        f"/admin/document/files/current/?id={document.id}", data={"number": "1"}
    )
    assert refused.status_code == 403
    assert stored_counts()[0] == 2


def test_an_earlier_version_can_be_chosen_as_current(editor_client):
    document = make_document()
    upload(editor_client, document.id, PDF, "v1.pdf")
    upload(editor_client, document.id, PDF + b"%v2", "v2.pdf")
    editor_client.post(
        f"/admin/document/files/current/?id={document.id}", data={"number": "1"}
    )
    _db.session.expire_all()
    doc = _db.session.get(Document, document.id)
    assert doc.chosen_version == 1 and doc.current_version.filename == "v1.pdf"
    editor_client.post(
        f"/admin/document/files/current/?id={document.id}", data={"number": "2"}
    )
    _db.session.expire_all()
    doc = _db.session.get(Document, document.id)
    assert doc.chosen_version is None and doc.current_version.filename == "v2.pdf"


def test_a_large_file_streams_out_in_chunks_byte_for_byte(editor_client):
    document = make_document()
    data = PDF + bytes(range(256)) * 4096 * 3  # 3 MiB: 48 chunks, 3 reads
    assert upload(editor_client, document.id, data, "gros.pdf").status_code == 302
    version = _db.session.execute(sa.select(DocumentVersion)).scalar_one()
    assert stored_counts()[1] == -(-len(data) // storage.CHUNK_SIZE)
    response = editor_client.get(
        f"/admin/document/files/download/?version={version.id}", buffered=False
    )
    parts = list(response.response)
    response.close()
    assert len(parts) == stored_counts()[1]
    assert b"".join(parts) == data
    assert hashlib.sha256(data).hexdigest() == version.sha256


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("avis.pdf", HTML, "c&#39;est une page HTML"),
        ("avis.odt", odt_bomb(), "bombe de décompression"),
        ("vide.pdf", b"", "Le fichier est vide"),
        ("../../avis.pdf", PDF, "contient un chemin"),
        ("a" * 300 + ".pdf", PDF, "trop long"),
        ("image.png", SVG_WITH_SCRIPT, "image SVG"),
        ("dessin.svg", SVG_WITH_SCRIPT, "ne sont pas acceptés"),
    ],
)
def test_a_refused_upload_keeps_the_form_and_stores_nothing(
    editor_client, name, data, message
):
    document = make_document()
    response = upload(editor_client, document.id, data, name, note="Ma note gardée")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'class="invalid-feedback d-block" id="file-error"' in html
    assert "Ma note gardée" in html
    assert stored_counts() == (0, 0)


def test_an_oversized_upload_gets_the_message_next_to_the_field(app, editor_client):
    document = make_document()
    app.config["DOCUMENT_MAX_BYTES"] = 1000
    try:
        response = upload(editor_client, document.id, PDF + b"0" * 2000, "gros.pdf")
    finally:
        app.config["DOCUMENT_MAX_BYTES"] = 20 * 1024 * 1024
    assert response.status_code == 422
    assert "dépasse la taille permise (1000 octets au plus)" in response.get_data(
        as_text=True
    )
    assert stored_counts() == (0, 0)


def test_a_nul_in_the_sent_name_is_refused(editor_client):
    document = make_document()
    response = upload(editor_client, document.id, PDF, "avis\x00.pdf")
    assert response.status_code == 422
    assert "caractères de contrôle" in response.get_data(as_text=True)
    assert stored_counts() == (0, 0)


def test_no_file_chosen(editor_client):
    document = make_document()
    response = editor_client.post(
        f"/admin/document/files/upload/?id={document.id}",
        data={"note": "sans fichier"},
    )
    assert response.status_code == 422
    assert "Choisissez le fichier" in response.get_data(as_text=True)


def test_a_failure_after_the_version_row_leaves_nothing(app, db, monkeypatch):
    document = make_document()

    def broken_insert(*args, **kwargs):
        raise RuntimeError("disk full")

    checked = check_upload("avis.pdf", PDF, LIMITS)
    original = _db.session.execute
    calls = {"n": 0}

    def execute(statement, *args, **kwargs):
        if (
            getattr(statement, "table", None) is not None
            and statement.table.name == "document_chunk"
        ):
            calls["n"] += 1
            broken_insert()
        return original(statement, *args, **kwargs)

    monkeypatch.setattr(_db.session, "execute", execute)
    with pytest.raises(RuntimeError):
        storage.add_version(document.id, checked)
    monkeypatch.undo()
    _db.session.rollback()
    assert calls["n"] == 1
    assert stored_counts() == (0, 0)


def test_two_uploads_at_once_are_both_kept_in_order(app, db):
    document_id = make_document().id
    # The test's own session must hold no transaction (SQLite's write lock).
    _db.session.rollback()
    barrier = threading.Barrier(2)
    errors = []

    def send(content: bytes, name: str) -> None:
        with app.app_context():
            try:
                checked = check_upload(name, content, LIMITS)
                barrier.wait(timeout=10)
                storage.add_version(document_id, checked, note=name)
                _db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [
        threading.Thread(target=send, args=(PDF + b"%" + bytes([i]), f"v{i}.pdf"))
        for i in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = (
        _db.session.execute(sa.select(DocumentVersion).order_by(DocumentVersion.number))
        .scalars()
        .all()
    )
    assert [v.number for v in versions] == [1, 2]
    assert {v.filename for v in versions} == {"v0.pdf", "v1.pdf"}
    for v in versions:
        i = int(v.filename[1])
        assert storage.read_content(v.id) == PDF + b"%" + bytes([i])


def test_a_document_with_files_is_not_deleted(admin_client):
    document = make_document()
    upload(admin_client, document.id, PDF, "avis.pdf")
    page = admin_client.get(f"/admin/document/delete/confirm/?id={document.id}")
    assert "Suppression refusée" in page.get_data(as_text=True)
    assert _db.session.get(Document, document.id) is not None
