"""A minimal keep-alive HTTP client with cookies (the standard library only)."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlencode, urljoin, urlsplit


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, url: str):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Session:
    """Sequential requests over one persistent connection, like a browser tab."""

    def __init__(self, host: str, port: int, timeout: float = 600):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _send(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                return conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")

    def _remember(self, raw) -> dict[str, str]:
        headers = {}
        for name, value in raw.getheaders():
            lname = name.lower()
            if lname == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if val:
                    self.cookies[key.strip()] = val.strip()
                else:
                    self.cookies.pop(key.strip(), None)
            headers[lname] = value
        return headers

    def request(
        self, method, path, body=None, headers=None, follow=True, sink=None
    ) -> Response:
        """Send a request; ``sink(chunk)`` receives a streamed body instead of memory."""
        raw = self._send(method, path, body, headers)
        resp_headers = self._remember(raw)
        if sink is None:
            data = raw.read()
        else:
            data = b""
            while True:
                chunk = raw.read(65536)
                if not chunk:
                    break
                sink(chunk)
        if raw.will_close:
            self.close()
        location = resp_headers.get("location")
        if follow and raw.status in (301, 302, 303, 307, 308) and location:
            target = urlsplit(urljoin(path, location))
            next_path = target.path + (f"?{target.query}" if target.query else "")
            if raw.status in (307, 308):
                return self.request(method, next_path, body, headers, follow)
            return self.request("GET", next_path, follow=follow)
        return Response(raw.status, resp_headers, data, path)

    def get(self, path, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path, data: dict | None = None, files=None, **kwargs) -> Response:
        if files:
            body, ctype = multipart(data or {}, files)
        else:
            body, ctype = (
                urlencode(data or {}).encode(),
                ("application/x-www-form-urlencoded"),
            )
        headers = {"Content-Type": ctype, "Referer": f"http://{self.host}:{self.port}/"}
        return self.request("POST", path, body=body, headers=headers, **kwargs)


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """Encode a multipart/form-data body; files map name -> (filename, bytes, type)."""
    boundary = "----cdplbench7d1f0c"
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += str(value).encode() + b"\r\n"
    for name, (filename, content, ctype) in files.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'
        ).encode()
        out += content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


INPUT_RE = re.compile(r"<input\b[^>]*>", re.I)
ATTR_RE = re.compile(r'(\w[\w-]*)\s*=\s*"([^"]*)"')
FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.I | re.S)


SELECT_RE = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.I | re.S)
SELECTED_RE = re.compile(r"<option\b[^>]*value=\"([^\"]*)\"[^>]*\bselected\b", re.I)


def selected_values(html: str) -> dict[str, str]:
    """Name and selected value of every <select> of a form's HTML."""
    values = {}
    for attrs, inner in SELECT_RE.findall(html):
        name = dict(ATTR_RE.findall(attrs)).get("name")
        chosen = SELECTED_RE.search(inner)
        if name and chosen:
            values[name] = chosen.group(1)
    return values


def forms(html: str) -> list[tuple[dict[str, str], list[dict[str, str]]]]:
    """Every form of a page: its attributes and its input elements' attributes."""
    import html as html_lib

    found = []
    for attrs, inner in FORM_RE.findall(html):
        form_attrs = {
            k.lower(): html_lib.unescape(v) for k, v in ATTR_RE.findall(attrs)
        }
        inputs = [
            {k.lower(): html_lib.unescape(v) for k, v in ATTR_RE.findall(tag)}
            for tag in INPUT_RE.findall(inner)
        ]
        found.append((form_attrs, inputs))
    return found
