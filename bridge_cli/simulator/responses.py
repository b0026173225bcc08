"""One HTTP answer of the simulated PVS, and lighttpd's look (headers, error pages)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

SERVER = "lighttpd/1.4.51"
DLCGI_BUILD_TIME = "Sep 15 2021 00:05:00"
CORS_HEADERS = (
    ("Access-Control-Allow-Methods", "GET,POST,DELETE,PUT"),
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Headers", "Content-Type"),
)
NO_CACHE = "no-cache, no-store, no-cache, must-revalidate, post-check=0, pre-check=0"
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    dlcgi: bool = False  # a dl_cgi answer: carries the dlcgi-build-time header


def json_response(data: object, status: int = 200, *, dlcgi: bool = False) -> Response:
    return Response(status, json.dumps(data).encode(), dlcgi=dlcgi)


def error_page(status: int) -> Response:
    """lighttpd's own error page (what a crashed dl_cgi or a missing path gives)."""
    title = f"{status} - {REASONS.get(status, 'Error')}"
    page = (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
        '         "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
        f" <head>\n  <title>{title}</title>\n </head>\n"
        f" <body>\n  <h1>{title}</h1>\n </body>\n</html>\n"
    )
    return Response(status, page.encode(), "text/html")


def unknown_command() -> Response:
    return json_response({"result": "unknown command"}, dlcgi=True)


def pvs_headers(response: Response) -> list[tuple[str, str]]:
    """The headers lighttpd and dl_cgi put on every answer, in the guide's order."""
    headers = [("Content-Type", response.content_type)]
    headers.append(CORS_HEADERS[0])
    headers.append(("Pragma", "no-cache"))
    if response.dlcgi:
        headers.append(("dlcgi-build-time", DLCGI_BUILD_TIME))
    headers += [CORS_HEADERS[1], CORS_HEADERS[2], ("Cache-Control", NO_CACHE)]
    return headers + response.headers
