"""Upload and download of a 20 MB file through the document screens.

    python -m bench.files                      # temporary SQLite database
    python -m bench.files --db postgresql://…  # an empty PostgreSQL database

Prints the median of 3 uploads (checks, SHA-256, chunks written) and of 3 full
downloads (chunks streamed), through the app's test client; not part of the
test suite, and never asserted.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app import create_app
from app.auth.passwords import hash_password
from app.config import normalise_database_url
from app.extensions import db
from app.models import Document, DocumentVersion, Role, User

PASSWORD = "une phrase de passe pour le banc 2026"
SIZE = 20 * 1024 * 1024 - 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = normalise_database_url(args.db) or (
        f"sqlite:///{tempfile.mkdtemp()}/files.sqlite3"
    )
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "b" * 48,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "localhost",
        }
    )
    data = b"%PDF-1.4\n" + os.urandom(SIZE)
    with app.app_context():
        db.session.add(
            User(
                email="banc@example.org",
                role=Role.editor,
                active=True,
                password_hash=hash_password(PASSWORD),
            )
        )
        document = Document(title="Banc des fichiers")
        db.session.add(document)
        db.session.commit()
        document_id = document.id
        db.session.remove()
    client = app.test_client()
    client.post("/connexion", data={"email": "banc@example.org", "password": PASSWORD})
    uploads, downloads = [], []
    for i in range(args.runs):
        boundary, body = encode_multipart(
            MultiDict({"file": FileStorage(io.BytesIO(data), filename=f"banc{i}.pdf")})
        )
        start = time.perf_counter()
        response = client.post(
            f"/admin/document/files/upload/?id={document_id}",
            data=body,
            content_type=f'multipart/form-data; boundary="{boundary}"',
        )
        uploads.append(time.perf_counter() - start)
        assert response.status_code == 302, response.status_code
    with app.app_context():
        version_id = db.session.execute(sa.select(DocumentVersion.id)).scalar()
        db.session.remove()
    for _ in range(args.runs):
        start = time.perf_counter()
        response = client.get(
            f"/admin/document/files/download/?version={version_id}", buffered=False
        )
        size = sum(len(part) for part in response.response)
        response.close()
        downloads.append(time.perf_counter() - start)
        assert size == len(data)
    kind = sa.engine.make_url(url).get_backend_name()
    print(
        f"{kind}: fichier de {len(data) / 2**20:.0f} Mo, dépôt médian "
        f"{statistics.median(uploads):.2f} s, téléchargement médian "
        f"{statistics.median(downloads):.2f} s ({args.runs} essais)"
    )


if __name__ == "__main__":
    main()
