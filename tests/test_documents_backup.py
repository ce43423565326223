"""Files in the dump, the backup and the exports: back byte for byte."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile

import sqlalchemy as sa

from app import create_app
from app.documents import storage
from app.documents.safety import Limits, check_upload
from app.exports.backup import list_backups
from app.exports.dump import load_dump, write_dump
from app.extensions import db as _db
from app.models import Document, DocumentVersion
from tests.conftest import base_config, truncate_all
from tests.documents_support import PDF, make_document

#: Several chunks of bytes that are no text (every byte value, random order).
BINARY = PDF + os.urandom(3 * storage.CHUNK_SIZE + 1234)


def _add(document_id: int, data: bytes, name: str) -> int:
    version = storage.add_version(document_id, check_upload(name, data, Limits()))
    version_id = version.id
    _db.session.commit()  # and no new transaction: SQLite commands need the lock
    return version_id


def _dump() -> bytes:
    buf = io.BytesIO()
    write_dump(buf)
    _db.session.rollback()
    return buf.getvalue()


def test_dump_load_dump_is_identical_with_files(full_data):
    document = full_data.session.execute(sa.select(Document)).scalars().first()
    version_id = _add(document.id, BINARY, "annexe.pdf")
    first = _dump()
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        package = json.loads(zf.read("datapackage.json"))
        chunk = next(r for r in package["resources"] if r["name"] == "document_chunk")
        fields = {f["name"]: f for f in chunk["schema"]["fields"]}
        assert fields["data"]["format"] == "binary"
        rows = list(
            csv.reader(io.StringIO(zf.read("data/document_chunk.csv").decode()))
        )
        # Each chunk's base64 fits the csv module's default field limit.
        assert max(len(r[2]) for r in rows[1:]) < csv.field_size_limit()

    truncate_all()
    load_dump(io.BytesIO(first))
    assert storage.read_content(version_id) == BINARY
    version = _db.session.get(DocumentVersion, version_id)
    assert version.sha256 == hashlib.sha256(BINARY).hexdigest()
    _db.session.rollback()
    assert _dump() == first


def test_backup_restores_the_files(tmp_path):
    uri = f"sqlite:///{tmp_path}/instance.sqlite3"
    app = create_app(
        base_config(
            tmp_path, SQLALCHEMY_DATABASE_URI=uri, BACKUP_DIR=str(tmp_path / "b")
        )
    )
    runner = app.test_cli_runner()
    with app.app_context():
        document_id = make_document().id
        _db.session.rollback()
        version_id = _add(document_id, BINARY, "avis.pdf")
        assert runner.invoke(args=["backup"]).exit_code == 0
        (backup,) = list_backups(tmp_path / "b")
        # Lose the bytes (a mistaken purge), then restore the backup.
        with _db.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM document_chunk")
        assert storage.read_content(version_id) == b""
        _db.session.rollback()
        result = runner.invoke(args=["restore", str(backup), "--yes"])
        assert result.exit_code == 0, result.output
        _db.session.remove()
        assert storage.read_content(version_id) == BINARY
        _db.session.remove()
        _db.engine.dispose()


def test_document_export_has_versions_and_current_file(editor_client):
    from tests.documents_support import upload

    document = make_document(title="Avis exporté")
    make_document(title="Sans fichier")
    upload(editor_client, document.id, PDF, "v1.pdf")
    upload(editor_client, document.id, PDF + b"%%v2", "v2.pdf")
    response = editor_client.get("/admin/document/export/csv/")
    text = response.get_data(as_text=True)
    response.close()
    rows = {r["Titre"]: r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert rows["Avis exporté"]["Nombre de versions"] == "2"
    assert rows["Avis exporté"]["Fichier courant"] == "v2.pdf"
    assert rows["Avis exporté"]["Taille du fichier courant (octets)"] == str(
        len(PDF) + 4
    )
    assert rows["Sans fichier"]["Nombre de versions"] == "0"
    assert rows["Sans fichier"]["Fichier courant"] == ""

    editor_client.post(
        f"/admin/document/files/current/?id={document.id}", data={"number": "1"}
    )
    response = editor_client.get("/admin/document/export/csv/")
    text = response.get_data(as_text=True)
    response.close()
    rows = {r["Titre"]: r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert rows["Avis exporté"]["Fichier courant"] == "v1.pdf"
