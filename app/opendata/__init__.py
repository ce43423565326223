"""Open data: what the council chose to publish, in open formats, with no
personal data (domain service; never imports app.admin).

``selection`` says which records are public (a record and every parent it
hangs from must carry ``public``); ``resources`` turns them into rows with a
Table Schema; ``package`` writes CSV, JSON, datapackage.json, the README, the
SCDL catalogue and the ZIP; ``catalogue`` the SCDL « Catalogue » lines;
``freshness`` keeps the built package until the published data changes.
"""

from __future__ import annotations

from flask import Flask

from app.opendata import freshness


def init_opendata(app: Flask) -> None:
    """Install the session hooks that renew the package's stamp (idempotent)."""
    freshness.install()
