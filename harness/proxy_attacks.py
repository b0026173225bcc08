"""The attack suite against the bridge's haproxy: raw requests over plain sockets.

A table of requests an attacker on the home LAN could send (methods, case, %-encoding,
parameter games, path tricks, odd request targets, HTTP/1.0 and 0.9, pipelining,
smuggling, bodies on reads, Expect, Upgrade, HTTP/2 prior knowledge, method overrides,
long and binary queries) and the legitimate reads of today's clients. The ground truth
is the PVS simulator's counters (``GET /_sim/counters``): a refused request must leave
them unchanged, a read must reach the PVS (or its cache) and answer 200.

Run as a module inside a lab namespace it prints the results as JSON:

    python -m harness.proxy_attacks HOST PORT COUNTERS_URL
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass

# What a refused request may cost the PVS: nothing. What a read may reach: these keys of
# the simulator's counters (dl_cgi commands and REST paths), nothing else.
READ_KEYS = frozenset(
    {
        "DeviceList",
        "Get_Comm",
        "Start",
        "Stop",
        "CheckFW",
        "GridProfileGet",
        "GetCellPurchased",
        "GetDiscoveryProgress",
        "supervisor/info",
        "devices/list",
        "energy-storage-system/status",
    }
)
# The bridge's HTTP health check reads supervisor/info on its own schedule.
BACKGROUND_KEYS = frozenset({"supervisor/info"})

CGI = "/cgi-bin/dl_cgi"
WRITE = f"{CGI}?Command=SetCellPurchased"
READ = f"{CGI}?Command=Get_Comm"


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    # "refused": nothing reaches the PVS and no 2xx; "read": 200 (each response) and only
    # reads reach the PVS; "safe": whatever the answer, only reads reach the PVS.
    expect: str
    responses: int = 1
    reaches: str = ""  # for "read": the counter that must go up by `responses`


def req(target: str, method: str = "GET", *headers: str, version: str = "HTTP/1.1",
        body: bytes = b"") -> bytes:  # fmt: skip
    """One request; Host and Connection: close unless given."""
    names = {h.split(":", 1)[0].strip().lower() for h in headers}
    lines = [f"{method} {target} {version}"]
    if "host" not in names and version != "HTTP/0.9":
        lines.append("Host: pvs-bridge")
    lines += headers
    if "connection" not in names:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _refused(name: str, raw: bytes) -> Case:
    return Case(name, raw, "refused")


def _get(name: str, target: str, *headers: str) -> Case:
    return Case(name, req(target, "GET", *headers), "refused")


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# An HTTP/2 SETTINGS frame (empty) and a HEADERS frame with a literal :method POST etc.
# are not needed: a bridge that speaks only HTTP/1 refuses the preface itself.
H2_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"

CASES: list[Case] = [
    # --- methods -----------------------------------------------------------------------
    *[
        Case(
            f"method {m}", req(WRITE if m != "OPTIONS" else "*", m, "Content-Length: 0"), "refused"
        )  # fmt: skip
        for m in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "FOO")
    ],
    _refused("method CONNECT", req("172.27.153.1:80", "CONNECT")),
    _refused("method get lower case", req(READ, "get")),
    _refused(
        "method POST form body",
        req(
            CGI,
            "POST",
            "Content-Type: application/x-www-form-urlencoded",
            "Content-Length: 24",
            body=b"Command=SetCellPurchased",
        ),
    ),  # fmt: skip
    # --- command name and value: case, encoding ------------------------------------------
    _get("write command", WRITE),
    _get("write command lower case", f"{CGI}?command=setcellpurchased"),
    _get("write command upper case", f"{CGI}?COMMAND=SETCELLPURCHASED"),
    _get("read command, name lower case", f"{CGI}?command=DeviceList"),
    _get("read command, value lower case", f"{CGI}?Command=devicelist"),
    _get("GridProfileRefresh", f"{CGI}?Command=GridProfileRefresh"),
    _get("%-encoded value", f"{CGI}?Command=SetCell%50urchased"),
    _get("%-encoded name", f"{CGI}?C%6fmmand=SetCellPurchased"),
    _get("double-encoded name", f"{CGI}?C%256fmmand=SetCellPurchased"),
    _get("double-encoded value", f"{CGI}?Command=SetCell%2550urchased"),
    _get("%-encoded & and =", f"{CGI}?Command=DeviceList%26Command%3DSetCellPurchased"),
    _get("+ in value", f"{CGI}?Command=Set+CellPurchased"),
    _get("NUL in name", f"{CGI}?Command=DeviceList&Command%00=SetCellPurchased"),
    _get("unicode escape", f"{CGI}?Command=SetCell%u0050urchased"),
    # --- duplicates, mixed case, ; and & games ---------------------------------------------
    _get("two commands", f"{CGI}?Command=DeviceList&Command=SetCellPurchased"),
    _get("two commands, write first", f"{CGI}?Command=SetCellPurchased&Command=DeviceList"),
    _get("mixed-case duplicate", f"{CGI}?Command=DeviceList&command=SetCellPurchased"),
    _get("semicolon separator", f"{CGI}?Command=DeviceList;Command=SetCellPurchased"),
    _get("semicolon after value", f"{CGI}?Command=DeviceList;SetCellPurchased"),
    _get("leading &", f"{CGI}?&Command=SetCellPurchased"),
    _get("double &&", f"{CGI}?Command=DeviceList&&Command=SetCellPurchased"),
    _get("extra param first", f"{CGI}?x=1&Command=SetCellPurchased"),
    _get("name with dot", f"{CGI}?Command=DeviceList&Command.=SetCellPurchased"),
    _get("name with space", f"{CGI}?Command%20=SetCellPurchased"),
    _get("empty command", f"{CGI}?Command="),
    _get("no query", CGI),
    _get("bare ?", f"{CGI}?"),
    _get("second ?", f"{CGI}?Command=DeviceList?Command=SetCellPurchased"),
    _get("fragment", f"{CGI}?Command=SetCellPurchased#Command=DeviceList"),
    _get("set= on vars", "/vars?set=/sys/telemetryws/enable=1"),
    _get("SET= upper", "/vars?SET=/sys/foo=1"),
    _get("%-encoded set=", "/vars?%73et=/sys/foo=1"),
    _get("set= after a name", "/vars?name=a&%53%45T=1"),
    _get("set= with bad %", "/vars?%73et=1&x=%zz"),
    # --- REST read paths with a query -----------------------------------------------------
    _get("REST path with Command=", f"{CGI}/supervisor/info?Command=SetCellPurchased"),
    _get("REST path with a query", f"{CGI}/devices/list?x=1"),
    _get("REST path with ;", f"{CGI}/devices/list;Command=SetCellPurchased"),
    _get("unknown REST path", f"{CGI}/firmware/update"),
    # --- path tricks ----------------------------------------------------------------------
    _get("double slash", "/cgi-bin//dl_cgi?Command=SetCellPurchased"),
    _get("leading double slash", "//cgi-bin/dl_cgi?Command=SetCellPurchased"),
    _get("dot segment", "/cgi-bin/./dl_cgi?Command=SetCellPurchased"),
    _get("dot-dot segment", "/x/../cgi-bin/dl_cgi?Command=SetCellPurchased"),
    _get("upper-case path", "/CGI-BIN/dl_cgi?Command=SetCellPurchased"),
    _get("upper-case script", "/cgi-bin/DL_CGI?Command=SetCellPurchased"),
    _get("trailing slash", f"{CGI}/?Command=SetCellPurchased"),
    _get("encoded slash", "/cgi-bin%2Fdl_cgi?Command=SetCellPurchased"),
    _get("encoded letter", "/cgi-bin/%64l_cgi?Command=SetCellPurchased"),
    _get("double-encoded slash", "/cgi-bin%252Fdl_cgi?Command=SetCellPurchased"),
    _get("path parameter", f"{CGI};x?Command=DeviceList"),
    _get("backslash", "/cgi-bin\\dl_cgi?Command=SetCellPurchased"),
    _get("other CGI", "/cgi-bin/firmware_update"),
    # --- odd request targets --------------------------------------------------------------
    _get("absolute-form write", f"http://pvs-bridge{WRITE}"),
    _get("absolute-form, PVS host", f"http://172.27.153.1{WRITE}"),
    _get("absolute-form, odd scheme", f"HTTP://pvs-bridge{WRITE}"),
    _refused("asterisk-form GET", req("*")),
    _refused("authority-form GET", req("172.27.153.1:80")),
    _refused("no leading slash", req("cgi-bin/dl_cgi?Command=SetCellPurchased")),
    # --- versions -------------------------------------------------------------------------
    _refused("HTTP/1.0 write", req(WRITE, version="HTTP/1.0")),
    _refused(
        "HTTP/1.0 POST", req(WRITE, "POST", "Content-Length: 3", version="HTTP/1.0", body=b"a=1")
    ),
    _refused("HTTP/0.9 write", f"GET {WRITE}\r\n".encode()),
    _refused("HTTP/2.0 in request line", req(WRITE, version="HTTP/2.0")),
    _refused("HTTP/1.2", req(WRITE, version="HTTP/1.2")),
    _refused("HTTP/2 prior knowledge", H2_PREFACE + H2_SETTINGS),
    # --- pipelining -----------------------------------------------------------------------
    Case(
        "pipelined read then write", req(READ, "GET", "Connection: keep-alive") + req(WRITE), "safe"
    ),
    Case(
        "pipelined write then read", req(WRITE, "GET", "Connection: keep-alive") + req(READ), "safe"
    ),
    _refused("pipelined write, write", req(WRITE, "GET", "Connection: keep-alive") + req(WRITE)),
    # --- request smuggling ----------------------------------------------------------------
    _refused(
        "CL + TE",
        req(
            READ,
            "GET",
            "Content-Length: 4",
            "Transfer-Encoding: chunked",
            body=b"0\r\n\r\n" + req(WRITE),
        ),
    ),  # fmt: skip
    _refused(
        "TE + CL",
        req(
            READ,
            "GET",
            "Transfer-Encoding: chunked",
            "Content-Length: 60",
            body=b"0\r\n\r\n" + req(WRITE),
        ),
    ),  # fmt: skip
    _refused(
        "two TE",
        req(
            READ,
            "GET",
            "Transfer-Encoding: chunked",
            "Transfer-Encoding: identity",
            body=b"0\r\n\r\n",
        ),
    ),  # fmt: skip
    _refused("obfuscated TE", req(READ, "GET", "Transfer-Encoding: xchunked", body=b"0\r\n\r\n")),
    _refused(
        "TE with space before colon",
        req(READ, "GET", "Transfer-Encoding : chunked", body=b"0\r\n\r\n"),
    ),  # fmt: skip
    _refused("TE tab", req(READ, "GET", "Transfer-Encoding:\tchunked", body=b"0\r\n\r\n")),
    _refused(
        "TE chunked, identity",
        req(READ, "GET", "Transfer-Encoding: chunked, identity", body=b"0\r\n\r\n"),
    ),  # fmt: skip
    _refused(
        "two CL", req(READ, "GET", "Content-Length: 0", "Content-Length: 44", body=req(WRITE)[:44])
    ),  # fmt: skip
    _refused("CL with sign", req(READ, "GET", "Content-Length: +44", body=req(WRITE)[:44])),
    # haproxy unfolds obs-fold into one header value (RFC 9112 5.2): the read passes with a
    # harmless header, the would-be chunk is a second, broken request.
    Case(
        "obs-fold",
        req(READ, "GET", "X-A: 1\r\n Transfer-Encoding: chunked", body=b"0\r\n\r\n"),
        "safe",
    ),  # fmt: skip
    _refused("obs-fold write", req(WRITE, "GET", "X-A: 1\r\n Command: DeviceList")),
    _refused("bare LF", f"GET {WRITE} HTTP/1.1\nHost: pvs-bridge\nConnection: close\n\n".encode()),
    _refused(
        "bare LF smuggle", f"GET {READ} HTTP/1.1\nHost: x\nContent-Length: 5\n\nhello".encode()
    ),
    # --- bodies on reads ------------------------------------------------------------------
    _refused(
        "GET with CL body",
        req(
            CGI + "?Command=Get_Comm", "GET", "Content-Length: 24", body=b"Command=SetCellPurchased"
        ),
    ),  # fmt: skip
    _refused(
        "GET with chunked body",
        req(
            READ,
            "GET",
            "Transfer-Encoding: chunked",
            body=b"18\r\nCommand=SetCellPurchased\r\n0\r\n\r\n",
        ),
    ),  # fmt: skip
    _refused(
        "HEAD with body", req(READ, "HEAD", "Content-Length: 24", body=b"Command=SetCellPurchased")
    ),  # fmt: skip
    _refused(
        "GET with form body, no CL",
        req(
            CGI,
            "GET",
            "Content-Type: application/x-www-form-urlencoded",
            body=b"Command=SetCellPurchased",
        ),
    ),  # fmt: skip
    _refused(
        "Expect 100-continue",
        req(
            READ,
            "GET",
            "Expect: 100-continue",
            "Content-Length: 24",
            body=b"Command=SetCellPurchased",
        ),
    ),  # fmt: skip
    # haproxy 2.2 answers "100 Continue" itself (http-buffer-request) and drops the header:
    # the read then arrives as a plain read. 2.6 and 3.0 refuse it. Either way only a read.
    Case("Expect without body", req(READ, "GET", "Expect: 100-continue"), "safe"),
    _refused("Expect without body, write", req(WRITE, "GET", "Expect: 100-continue")),
    # --- Upgrade ----------------------------------------------------------------------------
    _refused(
        "Upgrade websocket",
        req(
            READ,
            "GET",
            "Connection: Upgrade",
            "Upgrade: websocket",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
        ),
    ),  # fmt: skip
    # haproxy 2.2/2.6 pass the Upgrade header to the guard (refused); 3.0 drops an h2c
    # upgrade itself, so the read arrives as a plain read: either way only a read.
    Case(
        "Upgrade h2c",
        req(
            READ,
            "GET",
            "Connection: Upgrade, HTTP2-Settings",
            "Upgrade: h2c",
            "HTTP2-Settings: AAMAAABkAAQAAP__",
        ),
        "safe",
    ),
    _refused(
        "Upgrade h2c write",
        req(
            WRITE,
            "GET",
            "Connection: Upgrade, HTTP2-Settings",
            "Upgrade: h2c",
            "HTTP2-Settings: AAMAAABkAAQAAP__",
        ),
    ),
    # --- method overrides -----------------------------------------------------------------
    _get(
        "X-HTTP-Method-Override", f"{CGI}?Command=SetCellPurchased", "X-HTTP-Method-Override: POST"
    ),
    _get("_method parameter", f"{CGI}?Command=DeviceList&_method=POST&Command=SetCellPurchased"),
    # --- long and binary queries ----------------------------------------------------------
    _get("long query", f"{CGI}?Command=DeviceList&x={'a' * 6000}&Command=SetCellPurchased"),
    _refused("very long query", req(f"{CGI}?Command=Get_Comm&x={'a' * 20000}")),
    _refused(
        "binary query",
        b"GET " + CGI.encode() + b"?Command=Set\x01\xffCell HTTP/1.1\r\n"
        b"Host: x\r\nConnection: close\r\n\r\n",
    ),  # fmt: skip
    _refused(
        "NUL in request line",
        b"GET " + CGI.encode() + b"?Command=DeviceList\x00&Command="
        b"SetCellPurchased HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ),  # fmt: skip
    _refused("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40),
    # --- legitimate reads of today's clients (hass-sunpower, pvs exporters, pypvs probe) -----
    Case("read DeviceList", req(f"{CGI}?Command=DeviceList"), "read"),
    Case(
        "read DeviceList gzip",
        req(f"{CGI}?Command=DeviceList", "GET", "Accept-Encoding: gzip"),
        "read",
    ),
    Case("read DeviceList normalised", req(f"{CGI}?Command=DeviceList&_=1700000000"), "read"),
    Case("read Get_Comm", req(READ), "read", reaches="Get_Comm"),
    Case("read Get_Comm with extra", req(f"{READ}&i=1"), "read", reaches="Get_Comm"),
    Case(
        "read GetDiscoveryProgress",
        req(f"{CGI}?Command=GetDiscoveryProgress"),
        "read",
        reaches="GetDiscoveryProgress",
    ),
    Case("read GridProfileGet", req(f"{CGI}?Command=GridProfileGet"), "read"),
    Case("read GetCellPurchased", req(f"{CGI}?Command=GetCellPurchased"), "read"),
    Case("read CheckFW", req(f"{CGI}?Command=CheckFW"), "read"),
    Case("read HEAD", req(READ, "HEAD"), "read", reaches="Get_Comm"),
    Case("read supervisor/info", req(f"{CGI}/supervisor/info"), "read"),
    Case("read devices/list", req(f"{CGI}/devices/list"), "read"),
    Case("read HTTP/1.0", req(READ, version="HTTP/1.0"), "read", reaches="Get_Comm"),
    Case("read absolute-form", req(f"http://pvs-bridge{READ}"), "read", reaches="Get_Comm"),
    Case(
        "read with Content-Length: 0",
        req(READ, "GET", "Content-Length: 0"),
        "read",
        reaches="Get_Comm",
    ),
    Case(
        "read pipelined",
        req(READ, "GET", "Connection: keep-alive") + req(READ),
        "read",
        2,
        reaches="Get_Comm",
    ),
]


_STATUS = re.compile(rb"HTTP/1\.[01] ([1-5][0-9][0-9]) ")


def _status_lines(data: bytes) -> list[int]:
    """Status codes of the HTTP/1 answers in DATA (in order; 100 Continue included). A
    body may run into the next status line (pipelining), so they are found anywhere."""
    return [int(m.group(1)) for m in _STATUS.finditer(data)]


def send_raw(host: str, port: int, raw: bytes, timeout: float = 10.0,
             source: str | None = None) -> bytes:  # fmt: skip
    """Send RAW on a fresh connection; everything the bridge answers until it closes."""
    with socket.create_connection(
        (host, port), timeout=timeout, source_address=(source, 0) if source else None
    ) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(raw)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, OSError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            sock.settimeout(1.0)  # the answer has begun: stop at the first 1 s of silence
        return b"".join(chunks)


def counters(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)["commands"]


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    keys = set(before) | set(after)
    diff = {k: after.get(k, 0) - before.get(k, 0) for k in keys}
    return {k: v for k, v in sorted(diff.items()) if v and k not in BACKGROUND_KEYS}


@dataclass
class Result:
    name: str
    expect: str
    statuses: list[int]
    reached: dict[str, int]
    ok: bool
    why: str = ""


def judge(case: Case, statuses: list[int], reached: dict[str, int]) -> tuple[bool, str]:
    final = [s for s in statuses if s >= 200]
    if case.expect == "refused":
        if reached:
            return False, f"reached the PVS: {reached}"
        if any(s < 400 for s in final):
            return False, f"answered {final} (a refusal is 4xx/5xx or a closed connection)"
        return True, ""
    if set(reached) - READ_KEYS:
        return False, f"more than reads reached the PVS: {reached}"
    if case.expect == "safe":
        return True, ""
    if final != [200] * case.responses:
        return False, f"a read answered {final}, expected {[200] * case.responses}"
    if case.reaches and reached.get(case.reaches, 0) != case.responses:
        return False, f"a read did not reach the PVS {case.responses} time(s): {reached}"
    return True, ""


def run(host: str, port: int, counters_url: str, cases: list[Case] | None = None) -> list[Result]:
    results = []
    for case in cases or CASES:
        before = counters(counters_url)
        statuses = _status_lines(send_raw(host, port, case.raw))
        reached = delta(before, counters(counters_url))
        ok, why = judge(case, statuses, reached)
        results.append(Result(case.name, case.expect, statuses, reached, ok, why))
    return results


def main(argv: list[str]) -> int:
    host, port, counters_url = argv[0], int(argv[1]), argv[2]
    json.dump([asdict(r) for r in run(host, port, counters_url)], sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
