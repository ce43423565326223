"""Redirect targets (``next``, ``url``) that can only lead to this site."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import abort, request

#: Query/form parameters used as redirect targets by the app and Flask-Admin.
REDIRECT_PARAMS = ("next", "url")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None.

    Only a local absolute path is accepted: no scheme (``javascript:``), no host
    (``//evil.example``, and ``/\\evil.example`` which browsers read the same),
    no control characters.
    """
    if not target or _CONTROL.search(target):
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if "\\" in target or "%5c" in target.lower():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def check_request_params() -> None:
    """before_request: refuse (400) a redirect parameter that leaves the site,
    and any NUL character in the query or the form.

    Flask-Admin follows ``url`` after a save or delete; stopping bad values here
    means no code path can redirect elsewhere or put CR/LF in a header.
    PostgreSQL rejects NUL in text, which would otherwise surface as a 500.
    """
    values = list(request.args.values())
    if request.method == "POST" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        values += [v for _, v in request.form.items(multi=True)]
    values += list(request.args.keys())
    if any("\x00" in v for v in values):
        abort(400)
    for name in REDIRECT_PARAMS:
        for value in request.args.getlist(name):
            if value and safe_next(value) is None:
                abort(400)
        if request.method == "POST" and request.mimetype in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            for value in request.form.getlist(name):
                if value and safe_next(value) is None:
                    abort(400)
