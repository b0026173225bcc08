"""Read a PVS, or a bridge in front of one, over HTTP, and say precisely what went wrong.

Every failure is a `PvsHttpError` with a `kind` (one of `ERROR_KINDS`) so callers can tell
"nothing listens" from "haproxy's own 503 page" from "truncated JSON" without parsing
exception text. Pure parsing functions (`parse_json`, `parse_supervisor_info`,
`parse_device_list`, `classify_response`) take bytes or dicts and are unit-tested on
canned data.

The new-firmware HTTPS API (login + `/vars`) goes through SunStrong's `pypvs` client; see
`read_vars_with_login`.
"""

from __future__ import annotations

import errno
import gzip
import http.client
import json
import re
import socket
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

LEGACY_NEW_FIRMWARE_BUILD = 61840
"""PVS6 builds from this one on serve the authenticated HTTPS API (field notes)."""

SUPERVISOR_INFO_PATH = "/cgi-bin/dl_cgi/supervisor/info"
DEVICE_LIST_PATH = "/cgi-bin/dl_cgi?Command=DeviceList"

ERROR_KINDS = (
    "dns",  # the name does not resolve
    "refused",  # the host answered with a reset: nothing listens on that port
    "connect_timeout",  # no answer to the connection attempt at all
    "unreachable",  # no route to the host / network
    "read_timeout",  # connected, but the answer did not come in time
    "reset",  # the connection was closed or reset before a full answer
    "truncated",  # the body ended before Content-Length bytes
    "haproxy_503",  # haproxy's own "No server is available" page
    "haproxy_502",  # haproxy's own "Bad Gateway" page
    "haproxy_504",  # haproxy's own "Gateway Time-out" page
    "guard",  # the bridge's read-only guard refused the request
    "http_status",  # any other non-2xx status
    "not_json",  # a body that is not JSON at all
    "truncated_json",  # JSON that stops in the middle
    "wrong_shape",  # JSON, but not the expected structure
    "tls",  # TLS handshake problem (HTTPS API)
    "auth",  # login refused (HTTPS API)
    "other",
)

_HAPROXY_PAGES = {
    503: ("haproxy_503", "No server is available to handle this request"),
    502: ("haproxy_502", "The server returned an invalid or incomplete response"),
    504: ("haproxy_504", "The server didn't respond in time"),
}
GUARD_HEADER = "X-PVS-Bridge-Guard"


class PvsHttpError(Exception):
    """One failed exchange, classified. `str()` is a one-line human explanation."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        excerpt: str = "",
        elapsed: float = 0.0,
    ):
        assert kind in ERROR_KINDS, kind
        self.kind = kind
        self.message = message
        self.status = status
        self.excerpt = excerpt
        self.elapsed = elapsed
        self.reported_serial: str | None = None
        super().__init__(message)


@dataclass
class HttpResult:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    elapsed: float
    gzipped: bool = False
    raw_length: int = 0

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def excerpt(data: bytes | str, limit: int = 120) -> str:
    """A short printable excerpt of a body, for findings ("got: ...")."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > limit:
        return text[: limit - 3] + "..."
    return text


def _classify_os_error(exc: OSError, target: str, timeout: float, phase: str) -> PvsHttpError:
    if isinstance(exc, socket.gaierror):
        return PvsHttpError("dns", f"{target}: the name does not resolve ({exc.strerror})")
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return PvsHttpError("refused", f"{target}: connection refused (nothing listens there)")
    if isinstance(exc, TimeoutError | socket.timeout):
        if phase == "connect":
            return PvsHttpError(
                "connect_timeout", f"{target}: no answer to the connection within {timeout:g} s"
            )
        return PvsHttpError(
            "read_timeout", f"{target}: connected, but no complete answer within {timeout:g} s"
        )
    if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL):
        return PvsHttpError("unreachable", f"{target}: no route to the host ({exc.strerror})")
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return PvsHttpError("reset", f"{target}: the connection was reset during the {phase}")
    return PvsHttpError("other", f"{target}: {exc.__class__.__name__}: {exc}")


def _decode_body(raw: bytes, encoding: str | None) -> tuple[bytes, bool]:
    if not encoding or encoding.lower() == "identity":
        return raw, False
    enc = encoding.lower()
    try:
        if enc in ("gzip", "x-gzip"):
            return gzip.decompress(raw), True
        if enc == "deflate":
            try:
                return zlib.decompress(raw), True
            except zlib.error:
                return zlib.decompress(raw, -zlib.MAX_WBITS), True
    except (OSError, EOFError, zlib.error) as exc:
        raise PvsHttpError(
            "truncated", f"the {enc} body does not decompress ({exc}): cut off in transit?"
        ) from None
    return raw, False


def http_request(
    host: str,
    port: int,
    path: str,
    *,
    timeout: float,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    connect_timeout: float | None = None,
) -> HttpResult:
    """One HTTP/1.1 request; raises PvsHttpError with a precise kind on any failure.

    Asks for gzip (so callers can see whether the bridge compresses) and decodes it.
    """
    target = f"{host}:{port}"
    hdrs = {"Accept-Encoding": "gzip", "User-Agent": "bridge-cli-doctor", "Connection": "close"}
    hdrs.update(headers or {})
    start = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=connect_timeout or timeout)
    try:
        try:
            conn.connect()
        except OSError as exc:
            err = _classify_os_error(exc, target, connect_timeout or timeout, "connect")
            err.elapsed = time.monotonic() - start
            raise err from None
        conn.sock.settimeout(timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
        except http.client.IncompleteRead as exc:
            got = len(exc.partial)
            want = (got + exc.expected) if exc.expected is not None else "?"
            raise PvsHttpError(
                "truncated",
                f"{target}{path}: the answer was cut off after {got} of {want} bytes",
                excerpt=excerpt(exc.partial[-80:]),
                elapsed=time.monotonic() - start,
            ) from None
        except http.client.RemoteDisconnected:
            raise PvsHttpError(
                "reset",
                f"{target}{path}: the server closed the connection without answering",
                elapsed=time.monotonic() - start,
            ) from None
        except http.client.HTTPException as exc:
            raise PvsHttpError(
                "other",
                f"{target}{path}: not a valid HTTP answer ({exc.__class__.__name__})",
                elapsed=time.monotonic() - start,
            ) from None
        except OSError as exc:
            err = _classify_os_error(exc, f"{target}{path}", timeout, "read")
            err.elapsed = time.monotonic() - start
            raise err from None
        elapsed = time.monotonic() - start
        lower = {k.lower(): v for k, v in resp.getheaders()}
        decoded, gzipped = _decode_body(raw, lower.get("content-encoding"))
        return HttpResult(
            status=resp.status,
            reason=resp.reason,
            headers=lower,
            body=decoded,
            elapsed=elapsed,
            gzipped=gzipped,
            raw_length=len(raw),
        )
    finally:
        conn.close()


def classify_response(result: HttpResult, what: str) -> None:
    """Raise PvsHttpError for a non-2xx answer, naming haproxy's own pages and the guard."""
    if 200 <= result.status < 300:
        return
    text = result.body.decode("utf-8", "replace")
    page = _HAPROXY_PAGES.get(result.status)
    if page and page[1].lower() in text.lower():
        kind, _ = page
        meaning = {
            "haproxy_503": "haproxy's own 503 page: the PVS behind it is not answering",
            "haproxy_502": "haproxy's own 502 page: the PVS sent an invalid or cut answer",
            "haproxy_504": "haproxy's own 504 page: the PVS did not answer in time",
        }[kind]
        raise PvsHttpError(kind, f"{what}: {meaning}", status=result.status, excerpt=excerpt(text))
    if result.header(GUARD_HEADER):
        raise PvsHttpError(
            "guard",
            f"{what}: refused by the bridge's read-only guard (HTTP {result.status})",
            status=result.status,
            excerpt=excerpt(text),
        )
    raise PvsHttpError(
        "http_status",
        f"{what}: HTTP {result.status} {result.reason}",
        status=result.status,
        excerpt=excerpt(text),
    )


def parse_json(body: bytes, what: str) -> Any:
    """Decode a JSON body; empty, non-JSON and cut-off JSON are told apart."""
    text = body.decode("utf-8", "replace")
    if not text.strip():
        raise PvsHttpError("not_json", f"{what}: empty answer where JSON was expected")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        stripped = text.rstrip()
        if is_unfinished_json(stripped):
            raise PvsHttpError(
                "truncated_json",
                f"{what}: the JSON stops in the middle after {len(body)} bytes ({exc.msg})",
                excerpt="..." + excerpt(stripped[-60:], 60),
            ) from None
        raise PvsHttpError(
            "not_json",
            f"{what}: the answer is not JSON ({exc.msg} at byte {exc.pos})",
            excerpt=excerpt(text),
        ) from None


_JSON_BARE = set("0123456789+-.eEtrufalsn \t\r\n,:")


def is_unfinished_json(text: str) -> bool:
    """True when `text` is a well-formed start of a JSON object/array that stops early."""
    text = text.lstrip()
    if text[:1] not in ("{", "["):
        return False
    stack: list[str] = []
    in_string = escape = False
    for ch in text:
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]":
            if not stack or stack.pop() != ch:
                return False
        elif ch not in _JSON_BARE:
            return False
    return in_string or bool(stack)


# ---------------------------------------------------------------------------------------
# Shapes


@dataclass
class SupervisorInfo:
    build: int | None
    swver: str | None
    model: str | None
    serial: str | None
    raw: dict = field(default_factory=dict)

    @property
    def new_firmware(self) -> bool:
        return self.build is not None and self.build >= LEGACY_NEW_FIRMWARE_BUILD


_BUILD_RE = re.compile(r"build\s*(\d+)", re.IGNORECASE)


def parse_build(swver: Any) -> int | None:
    """`"2021.9, Build 41001"` -> 41001; an int is taken as is."""
    if isinstance(swver, int):
        return swver
    if isinstance(swver, str):
        m = _BUILD_RE.search(swver)
        if m:
            return int(m.group(1))
        if swver.strip().isdigit():
            return int(swver.strip())
    return None


def _ci_get(d: dict, *names: str) -> Any:
    lower = {str(k).lower(): v for k, v in d.items()}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def parse_supervisor_info(doc: Any) -> SupervisorInfo:
    """`/cgi-bin/dl_cgi/supervisor/info`: `{"supervisor": {"SWVER", "BUILD", ...}}` or flat."""
    if not isinstance(doc, dict):
        raise PvsHttpError(
            "wrong_shape", f"supervisor/info: expected a JSON object, got {type(doc).__name__}"
        )
    inner = _ci_get(doc, "supervisor")
    sup = inner if isinstance(inner, dict) else doc
    swver = _ci_get(sup, "SWVER", "sw_rev", "swver")
    build = parse_build(_ci_get(sup, "BUILD", "build"))
    if build is None:
        build = parse_build(swver)
    if build is None and swver is None:
        raise PvsHttpError(
            "wrong_shape",
            "supervisor/info: JSON without a build or SWVER field",
            excerpt=excerpt(json.dumps(doc)),
        )
    model = _ci_get(sup, "MODEL", "model")
    serial = _ci_get(sup, "SERIAL", "serial", "serialnum")
    return SupervisorInfo(
        build=build,
        swver=str(swver) if swver is not None else None,
        model=str(model) if model is not None else None,
        serial=str(serial) if serial is not None else None,
        raw=sup,
    )


@dataclass
class DeviceList:
    supervisor: dict | None
    meters: list[dict]
    inverters: list[dict]
    others: list[dict]


def parse_device_list(doc: Any) -> DeviceList:
    """Split a DeviceList answer into supervisor, meters, inverters, the rest."""
    if not isinstance(doc, dict):
        raise PvsHttpError(
            "wrong_shape", f"DeviceList: expected a JSON object, got {type(doc).__name__}"
        )
    result = doc.get("result")
    devices = doc.get("devices")
    if result is not None and str(result).lower() not in ("succeed", "success"):
        raise PvsHttpError(
            "wrong_shape",
            f"DeviceList: result is {result!r}, not 'succeed'",
            excerpt=excerpt(json.dumps(doc)),
        )
    if not isinstance(devices, list) or not all(isinstance(d, dict) for d in devices):
        raise PvsHttpError(
            "wrong_shape",
            "DeviceList: no 'devices' list of objects in the answer",
            excerpt=excerpt(json.dumps(doc)),
        )
    supervisor = None
    meters: list[dict] = []
    inverters: list[dict] = []
    others: list[dict] = []
    for dev in devices:
        dtype = str(dev.get("DEVICE_TYPE", "")).lower()
        if dtype in ("pvs", "supervisor") and supervisor is None:
            supervisor = dev
        elif dtype == "power meter" or "METER" in str(dev.get("TYPE", "")).upper():
            meters.append(dev)
        elif dtype == "inverter":
            inverters.append(dev)
        else:
            others.append(dev)
    return DeviceList(supervisor=supervisor, meters=meters, inverters=inverters, others=others)


# ---------------------------------------------------------------------------------------
# High-level reads


@dataclass
class PvsClient:
    """Reads from a PVS (port 80) or from a bridge that proxies one."""

    host: str
    port: int = 80
    timeout: float = 3.0

    def get(self, path: str, what: str, timeout: float | None = None) -> HttpResult:
        result = http_request(self.host, self.port, path, timeout=timeout or self.timeout)
        classify_response(result, what)
        return result

    def get_json(
        self, path: str, what: str, timeout: float | None = None
    ) -> tuple[Any, HttpResult]:
        result = self.get(path, what, timeout)
        return parse_json(result.body, what), result

    def supervisor_info(self) -> tuple[SupervisorInfo, HttpResult]:
        doc, result = self.get_json(SUPERVISOR_INFO_PATH, "supervisor/info")
        return parse_supervisor_info(doc), result

    def device_list(self, timeout: float) -> tuple[DeviceList, HttpResult]:
        doc, result = self.get_json(DEVICE_LIST_PATH, "DeviceList", timeout=timeout)
        return parse_device_list(doc), result


# ---------------------------------------------------------------------------------------
# New firmware: HTTPS login + /vars through pypvs


@dataclass
class VarsResult:
    serial: str | None
    values: dict[str, str]
    elapsed: float


def pvs_password(serial: str) -> str:
    """The `ssm_owner` password: the last 5 characters of the serial, upper case."""
    return serial[-5:].upper()


def mask_serial(serial: str | None) -> str:
    """A serial with its last 5 characters (the password) hidden."""
    if not serial:
        return "?"
    return serial[:-5] + "*****" if len(serial) > 5 else "*****"


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while exc.__context__ is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc = exc.__context__
    return exc


def _classify_pypvs_error(exc: BaseException, target: str, timeout: float) -> PvsHttpError:
    import aiohttp
    from pypvs.exceptions import PVSAuthenticationError

    root = _root_cause(exc)
    if isinstance(exc, PVSAuthenticationError) or "Login failed" in str(root):
        status = re.search(r"status code: (\d+)", str(root))
        code = f" (HTTP {status.group(1)})" if status else ""
        return PvsHttpError("auth", f"{target}: the PVS refused the login{code}")
    if isinstance(root, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return PvsHttpError("tls", f"{target}: TLS handshake failed ({root})")
    if isinstance(root, aiohttp.ClientConnectorError):
        os_err = root.os_error
        return _classify_os_error(os_err, target, timeout, "connect")
    if isinstance(root, TimeoutError):
        return PvsHttpError("read_timeout", f"{target}: no complete answer within {timeout:g} s")
    if isinstance(root, aiohttp.ContentTypeError | json.JSONDecodeError):
        return PvsHttpError("not_json", f"{target}: /vars did not answer JSON ({root})")
    if isinstance(root, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return PvsHttpError("reset", f"{target}: the connection closed mid-answer ({root})")
    if isinstance(root, KeyError | IndexError | TypeError):
        return PvsHttpError("wrong_shape", f"{target}: /vars answer without 'values' ({root!r})")
    return PvsHttpError("other", f"{target}: {root.__class__.__name__}: {root}")


async def _read_vars(
    host: str, port: int, serial: str, matches: tuple[str, ...], timeout: float, seen: dict
) -> VarsResult:
    import aiohttp
    from pypvs.pvs import PVS

    start = time.monotonic()
    # pypvs builds "https://{host}"; a host:port string points it at any port (a bridge's
    # pass-through or a simulator). It skips certificate checks (the PVS is self-signed).
    hostport = host if port == 443 else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        hostport = f"[{host}]" if port == 443 else f"[{host}]:{port}"
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        pvs = PVS(session=session, host=hostport, user="ssm_owner", password=pvs_password(serial))
        await pvs.discover()  # public /sys/info/serialnum, ssid, lmac: no session needed
        reported = seen["serial"] = pvs.serial_number
        values: dict[str, str] = {}
        for match in matches:
            values.update(await pvs.getVarserverVars(match))
    return VarsResult(serial=reported, values=values, elapsed=time.monotonic() - start)


def read_vars_with_login(
    host: str,
    port: int,
    serial: str,
    *,
    matches: tuple[str, ...] = ("/sys/info",),
    timeout: float = 10.0,
) -> VarsResult:
    """Log in as `ssm_owner` (password from `serial`) and read `/vars?match=...` for each."""
    import asyncio
    import logging

    logging.getLogger("pypvs").setLevel(logging.ERROR)  # its retry notes are not findings

    target = f"https://{host}:{port}"
    seen: dict[str, str | None] = {"serial": None}
    try:
        return asyncio.run(_read_vars(host, port, serial, matches, timeout, seen))
    except Exception as exc:  # pypvs wraps everything in PVSError("General error")
        err = _classify_pypvs_error(exc, target, timeout)
        err.reported_serial = seen["serial"]
        raise err from None


def group_device_vars(values: dict[str, str], kind: str) -> list[dict[str, str]]:
    """`/sys/devices/<kind>/<i>/<field>` variables -> one dict per device, by index."""
    prefix = f"/sys/devices/{kind}/"
    devices: dict[int, dict[str, str]] = {}
    for name, value in values.items():
        if not name.startswith(prefix):
            continue
        parts = name[len(prefix) :].split("/", 1)
        if len(parts) == 2 and parts[0].isdigit():
            devices.setdefault(int(parts[0]), {})[parts[1]] = value
    return [devices[i] for i in sorted(devices)]
