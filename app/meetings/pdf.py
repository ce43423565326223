"""PDF files of meetings (compte rendu, feuille d'émargement), printed by WeasyPrint.

The screens render the HTML (the compte rendu's own page with its print
stylesheet, so whatever the page shows the PDF shows); this module turns it into
PDF. Only the application's static files are ever fetched: a link or address in
the text can never make the server contact another host.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: The address the HTML is rendered under; static files resolve against it.
BASE_URL = "http://cdpl-gestion.invalid/"


def static_fetcher(static_folder: str, static_url_path: str = "/static"):
    """A function url -> {"string", "mime_type"} serving ``static_folder`` only.

    Anything else (another host, another scheme, a path outside the folder)
    raises ValueError, which WeasyPrint reports and skips.
    """
    root = Path(static_folder).resolve()
    prefix = static_url_path.rstrip("/") + "/"
    base = urlsplit(BASE_URL)

    def fetch(url: str, *args, **kwargs) -> dict:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            raise ValueError(f"PDF: ressource externe refusée ({parts.scheme}:)")
        if not parts.path.startswith(prefix):
            raise ValueError("PDF: seules les ressources statiques sont lues")
        path = (root / unquote(parts.path[len(prefix) :])).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise ValueError("PDF: ressource statique introuvable")
        return {
            "string": path.read_bytes(),
            "mime_type": mimetypes.guess_type(path.name)[0] or "text/plain",
            "redirected_url": url,
        }

    return fetch


def html_to_pdf(
    html: str, static_folder: str, static_url_path: str = "/static"
) -> bytes:
    """An A4 PDF of ``html`` (fonts embedded, as WeasyPrint always does)."""
    # WeasyPrint and its Pango bindings cost ~40 MB and a second to load: loaded
    # by the first PDF only, not by every process that imports the meetings.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    serve = static_fetcher(static_folder, static_url_path)

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            found = serve(url)
            return URLFetcherResponse(
                url, found["string"], {"Content-Type": found["mime_type"]}
            )

    document = HTML(
        string=html,
        base_url=BASE_URL,
        url_fetcher=StaticOnly(allowed_protocols=("http",), allow_redirects=False),
        media_type="print",
    )
    return document.write_pdf()
