"""Redirect targets (``next``, ``url``) that can only lead to this site."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import abort, has_request_context, request

#: Query/form parameters used as redirect targets by the app and Flask-Admin.
REDIRECT_PARAMS = ("next", "url")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_next(target: str | None) -> str | None:
    """``target`` if it leads to this site, else None.

    Accepted: a local absolute path, or an http(s) URL whose host is this
    request's host. Refused: other schemes (``javascript:``), other hosts
    (``//evil.example``, and ``/\\evil.example`` which browsers read the same),
    backslashes, control characters (CR/LF would split a header).
    """
    if not target or _CONTROL.search(target):
        return None
    target = target.strip()
    if "\\" in target or "%5c" in target.lower():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        same_site = (
            parts.scheme in ("http", "https")
            and has_request_context()
            and parts.netloc == request.host
            and target.startswith(f"{parts.scheme}://{parts.netloc}/")
        )
        return target if same_site else None
    if not target.startswith("/") or target.startswith("//"):
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
