"""The files page of a document: its versions, upload, choice, safe downloads.

Mixed into DocumentView (URLs under /admin/document/files/…): the lecteur reads
the page and downloads; uploading and choosing a version are POSTs, hence
need the éditeur role (``AccessMixin`` refuses any non-GET to a reader).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from markupsafe import Markup
from wtforms import FileField, Form, TextAreaField
from wtforms import validators as v

from app.admin.fields import add_error
from app.documents import storage
from app.documents.safety import Limits, UploadError, check_upload, human_size
from app.extensions import db
from app.models import Document, DocumentVersion


class UploadForm(Form):
    class Meta:
        locales = ("fr_FR", "fr")

    file = FileField("Fichier")
    note = TextAreaField(
        "Note de version",
        validators=[v.Length(max=2000, message="2 000 caractères au plus.")],
        render_kw={"rows": 2},
    )


def download_link(version: DocumentVersion) -> Markup:
    url = url_for("document.download_view", version=version.id)
    return Markup('<a class="cdpl-download" href="{}" download>{}</a>').format(
        url, version.filename
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266)."""
    ascii_name = (
        unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    )
    ascii_name = "".join(c if c.isalnum() or c in " ._-()" else "_" for c in ascii_name)
    return (
        f'attachment; filename="{ascii_name or "fichier"}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )


def read_upload(storage_file, limit: int) -> bytes:
    """The uploaded bytes, at most ``limit`` + 1 (one more says "too large")."""
    if storage_file is None:
        return b""
    return storage_file.stream.read(limit + 1)


class DocumentFilesScreens:
    """Mixed into DocumentView."""

    def _document_or_404(self) -> Document:
        document = self.get_one(request.args.get("id", ""))
        if document is None:
            abort(404)
        return document

    def _files_page(self, document: Document, form: UploadForm, status: int = 200):
        limits = Limits.from_config(current_app.config)
        page = self.render(
            "admin/documents/files.html",
            document=document,
            form=form,
            max_size=human_size(limits.max_bytes),
        )
        return page, status

    @expose("/files/")
    def files_view(self):
        return self._files_page(self._document_or_404(), UploadForm())

    @expose("/files/upload/", methods=("POST",))
    def upload_view(self):
        document = self._document_or_404()
        form = UploadForm(request.form)
        if self._upload(document, form):
            return redirect(self.get_url(".files_view", id=document.id))
        # The page again, the message next to the field and the note kept.
        return self._files_page(document, form, 422)

    def _upload(self, document: Document, form: UploadForm) -> bool:
        limits = Limits.from_config(current_app.config)
        upload = request.files.get("file")
        if not form.validate():
            return False
        if upload is None or not upload.filename:
            add_error(form.file, "Choisissez le fichier à déposer.")
            return False
        try:
            checked = check_upload(
                upload.filename, read_upload(upload, limits.max_bytes), limits
            )
            version = storage.add_version(document.id, checked, form.note.data)
            db.session.commit()
        except UploadError as exc:
            db.session.rollback()
            add_error(form.file, str(exc))
            return False
        except storage.VersionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False
        flash(
            f"« {version.filename} » enregistré comme version {version.number} "
            f"({human_size(version.size)}).",
            "success",
        )
        return True

    @expose("/files/current/", methods=("POST",))
    def choose_version_view(self):
        document = self._document_or_404()
        raw = request.form.get("number", "")
        number = int(raw) if raw.isdigit() else None
        try:
            storage.choose_version(document, number)
            db.session.commit()
        except storage.VersionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            current = document.current_version
            flash(
                f"Version courante : {current.number} ({current.filename}).", "success"
            )
        return redirect(self.get_url(".files_view", id=document.id))

    @expose("/files/download/")
    def download_view(self):
        version_id = request.args.get("version", "")
        version = (
            db.session.get(DocumentVersion, int(version_id))
            if version_id.isdigit() and len(version_id) < 10
            else None
        )
        if version is None:
            abort(404)
        version_key, size, media_type = version.id, version.size, version.media_type
        disposition = content_disposition(version.filename)
        etag = version.sha256
        # End the request's transaction: the download reads on short ones of its
        # own and must not hold SQLite's write lock while the bytes go out.
        db.session.commit()
        response = Response(
            storage.iter_content(version_key, db.engine), content_type=media_type
        )
        response.headers["Content-Length"] = str(size)
        response.headers["Content-Disposition"] = disposition
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["ETag"] = f'"{etag}"'
        # Whatever the file holds, a browser that renders it runs nothing.
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
