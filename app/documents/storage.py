"""File versions of a document, stored in the database in chunks.

The bytes live in ``document_chunk`` rows next to their ``document_version``:
they commit or roll back with the record, are in every backup and dump, and
are the same for every application server. Downloads read a few chunks per
short transaction, so a long download holds no lock and little memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from app.documents.safety import CheckedFile
from app.extensions import db
from app.history.actor import current_actor
from app.models import Document, DocumentChunk, DocumentVersion

#: Bytes per chunk row. Its base64 text (87,384 characters) stays under the csv
#: module's default field limit (131,072), so dumps load without tuning it.
CHUNK_SIZE = 64 * 1024
#: Chunks read per transaction while streaming a download (1 MiB).
CHUNKS_PER_READ = 16


class VersionError(ValueError):
    """A version operation refused; the message is French."""


def add_version(document_id: int, checked: CheckedFile, note: str | None = None):
    """Store ``checked`` as the document's next version (the caller commits).

    The document row is locked first (SELECT … FOR UPDATE on PostgreSQL; SQLite
    transactions already start with BEGIN IMMEDIATE), so two uploads at once
    get numbers n and n+1, one after the other, and neither is lost.
    """
    document = db.session.execute(
        sa.select(Document).where(Document.id == document_id).with_for_update()
    ).scalar_one_or_none()
    if document is None:
        raise VersionError("Ce document n'existe pas ou plus.")
    last = db.session.execute(
        sa.select(sa.func.max(DocumentVersion.number)).where(
            DocumentVersion.document_id == document_id
        )
    ).scalar()
    actor = current_actor()
    version = DocumentVersion(
        document_id=document_id,
        number=(last or 0) + 1,
        filename=checked.filename,
        media_type=checked.media_type,
        size=checked.size,
        sha256=checked.sha256,
        note=(note or "").strip() or None,
        uploaded_by_id=actor.id,
        uploaded_by_label=actor.label[:254],
    )
    db.session.add(version)
    db.session.flush()
    data = checked.data
    rows = [
        {
            "version_id": version.id,
            "position": i,
            "data": data[start : start + CHUNK_SIZE],
        }
        for i, start in enumerate(range(0, len(data), CHUNK_SIZE))
    ]
    # A Core insert: the chunks are no ORM objects (nothing keeps 20 MB alive).
    db.session.execute(DocumentChunk.__table__.insert(), rows)
    return version


def choose_version(document: Document, number: int | None) -> None:
    """Make version ``number`` the current one (None: the latest, as by default)."""
    if number is not None and number not in {v.number for v in document.versions}:
        raise VersionError("Cette version n'existe pas pour ce document.")
    latest = document.versions[-1].number if document.versions else None
    document.chosen_version = None if number == latest else number


def iter_content(version_id: int, engine=None) -> Iterator[bytes]:
    """The bytes of a version, chunk after chunk, a few chunks per read.

    With ``engine`` (downloads), each read is a short transaction of its own and
    the generator needs no application context (a streamed response is read
    after the request's context is gone). Without it, the reads go through the
    session's transaction: on SQLite a second connection would wait for the
    write lock that this very transaction holds.
    """
    table = DocumentChunk.__table__

    def read(position: int):
        stmt = (
            sa.select(table.c.data)
            .where(
                table.c.version_id == version_id,
                table.c.position >= position,
                table.c.position < position + CHUNKS_PER_READ,
            )
            .order_by(table.c.position)
        )
        if engine is None:
            return db.session.execute(stmt).all()
        with engine.connect() as conn:
            return conn.execute(stmt).all()

    position = 0
    while True:
        rows = read(position)
        for (data,) in rows:
            yield bytes(data)
        if len(rows) < CHUNKS_PER_READ:
            return
        position += CHUNKS_PER_READ


def read_content(version_id: int) -> bytes:
    """The whole file (tests, demo, small files)."""
    return b"".join(iter_content(version_id))


def version_counts(document_ids) -> dict[int, int]:
    ids = list(document_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(DocumentVersion.document_id, sa.func.count())
        .where(DocumentVersion.document_id.in_(ids))
        .group_by(DocumentVersion.document_id)
    ).all()
    return dict(rows)
