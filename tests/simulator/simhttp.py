"""HTTP helpers for the simulator tests."""

from __future__ import annotations

import http.client
import json
import ssl
from urllib.parse import urlsplit


def connect(url: str, timeout: float = 5.0) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    if parts.scheme == "https":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=ctx)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def request(url: str, path: str, method: str = "GET", body=None, headers=None, timeout=5.0):
    """One request on a fresh connection -> (status, headers dict, body bytes)."""
    conn = connect(url, timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def get_json(url: str, path: str, **kw):
    status, headers, body = request(url, path, **kw)
    return status, json.loads(body)
