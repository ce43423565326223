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
import time

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import Document, DocumentVersion
from bench.server import scratch_app, staff_client

SIZE = 20 * 1024 * 1024 - 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with scratch_app(args.db, "files") as app:
        with app.app_context():
            kind = db.engine.dialect.name
        uploads, downloads, size = measure(app, args.runs)
    print(
        f"{kind}: fichier de {size / 2**20:.0f} Mo, dépôt médian "
        f"{statistics.median(uploads):.2f} s, téléchargement médian "
        f"{statistics.median(downloads):.2f} s ({args.runs} essais)"
    )


def measure(app, runs: int) -> tuple[list[float], list[float], int]:
    """Seconds of ``runs`` uploads then ``runs`` downloads of a SIZE file."""
    data = b"%PDF-1.4\n" + os.urandom(SIZE)
    with app.app_context():
        document = Document(title="Banc des fichiers")
        db.session.add(document)
        db.session.commit()
        document_id = document.id
        db.session.remove()
    client = staff_client(app, "banc@example.org")
    uploads, downloads = [], []
    for i in range(runs):
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
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(
            f"/admin/document/files/download/?version={version_id}", buffered=False
        )
        size = sum(len(part) for part in response.response)
        response.close()
        downloads.append(time.perf_counter() - start)
        assert size == len(data)
    return uploads, downloads, len(data)


if __name__ == "__main__":
    main()
