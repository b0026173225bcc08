"""HTTP(S) request handling: routing, faults, latency, counters, lighttpd-style answers."""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import ssl
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from bridge_cli.errors import BridgeInputError
from bridge_cli.simulator import latency, legacy
from bridge_cli.simulator.faults import parse_flag, validate_mode, validate_seconds
from bridge_cli.simulator.model import parse_build
from bridge_cli.simulator.responses import (
    SERVER,
    Response,
    error_page,
    json_response,
    pvs_headers,
)
from bridge_cli.simulator.varserver import (
    ERR_INVALID_CONTENT_LENGTH,
    ERR_NO_CONTENT_LENGTH,
    ERR_UNSUPPORTED_REQUEST,
    MAX_POST,
    auth_error,
    vars_error,
)

if TYPE_CHECKING:
    from bridge_cli.simulator.contract import Simulator

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
MAX_KEEPALIVE_REQUESTS = 100  # lighttpd's server.max-keep-alive-requests


class _Drop(Exception):
    """Close the connection without an answer (hang fault, restart)."""


class PVSHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = SERVER
    sim: Simulator  # set on the per-listener subclass
    scheme = "http"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    # ----- connection -----------------------------------------------------------------
    def setup(self) -> None:
        self.timeout = self.sim.config.keepalive_idle
        super().setup()
        self._served = 0

    def handle(self) -> None:
        try:
            if isinstance(self.request, ssl.SSLSocket):
                self.request.do_handshake()
            super().handle()
        except (OSError, ssl.SSLError, _Drop):
            self.close_connection = True

    def version_string(self) -> str:
        return SERVER

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        """Malformed requests get lighttpd's page, never Python's."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            if self.request_version == "HTTP/0.9":  # a garbage request line: answer in 1.0
                self.request_version = "HTTP/1.0"
            self._send(error_page(code if code in (400, 404, 405, 411, 413, 414, 505) else 400))

    # ----- methods ----------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def do_OPTIONS(self) -> None:
        if self._new_api() and urlsplit(self.path).path in ("/vars", "/auth"):
            self._dispatch()  # the FastCGI apps answer it: 405
            return
        self._read_body()
        with self.sim.count("OPTIONS"):
            self._send(Response(200, b"", "text/html"))

    # ----- dispatch -----------------------------------------------------------------------
    def _dispatch(self) -> None:
        self._served += 1
        if self._served >= MAX_KEEPALIVE_REQUESTS:
            self.close_connection = True
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        body = self._read_body()
        if body is None:
            return
        if url.path.startswith("/_sim/") or url.path == "/_sim":
            self._control(url.path, params)
            return
        self._query, self._body = url.query, body
        if body:
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            params = form | params
        command = self._command_key(url.path, params)
        with self.sim.count(command):
            fault = self.sim.faults.current
            if fault.mode == "hang" or (fault.mode == "hang_missing" and self._lacks(url.path)):
                self.sim.faults.wait_changed(fault.delay)
                self.sim.record_status(0)
                raise _Drop()
            if self.sim.realistic:
                self._wait(command, latency.delay(command, params, self.sim.model))
            if fault.mode == "slow" or (
                fault.mode == "slow_scan" and command in latency.SCAN_COMMANDS
            ):
                self.sim.stopping.wait(fault.delay)
            if fault.mode == "error500":
                response = error_page(500)
            elif fault.mode == "locked403":
                response = error_page(403)
            else:
                response = self._route_safely(url.path, params)
            if fault.mode == "truncated" and len(response.body) > 1:
                response.body = response.body[: max(1, len(response.body) // 2)]
        # Sent once the request no longer counts as in flight: a client that has its answer
        # and asks again at once must not see two requests at the "PVS".
        self._send(response)

    def _wait(self, command: str, seconds: float) -> None:
        if seconds <= 0:
            return
        if command in latency.SCAN_COMMANDS and not self.sim.model.new_firmware:
            with self.sim.scan_lock:  # one PLC scan at a time, like the real box
                self.sim.stopping.wait(seconds)
        else:
            self.sim.stopping.wait(seconds)

    def _command_key(self, path: str, params: dict[str, str]) -> str:
        if path == legacy.DL_CGI or path.startswith(legacy.DL_CGI + "/"):
            return legacy.command_key(path, params)
        if path == "/auth":
            for action in ("login", "logout"):
                if action in params:
                    return f"auth?{action}"
            return "auth"
        if path == "/vars":
            return "vars"
        return "other"

    def _route_safely(self, path: str, params: dict[str, str]) -> Response:
        try:
            return self._route(path, params)
        except Exception:  # a simulator bug must look like a PVS error, not kill the thread
            log.exception("simulator: error answering %s", path)
            return error_page(500)

    def _route(self, path: str, params: dict[str, str]) -> Response:
        sim = self.sim
        if path == legacy.DL_CGI or path.startswith(legacy.DL_CGI + "/"):
            return legacy.handle(sim.model, path, params)
        new_api = self._new_api()
        if path == "/auth" and new_api:
            return self._auth()
        if path == "/vars" and new_api:
            query = self._vars_query()
            if isinstance(query, Response):
                return query
            return sim.varserver.vars(query, self._session())
        return error_page(404)

    def _new_api(self) -> bool:
        return self.sim.model.new_firmware and self.scheme == "https"

    def _auth(self) -> Response:
        """fcgi_auth: the whole query must be "login" or "logout" (GET; POST body alike)."""
        if self.command not in ("GET", "POST"):
            return json_response({"status": 405, "description": "Method Not Allowed"}, 405)
        query = self._query if self.command == "GET" else self._body.decode("utf-8", "replace")
        if query == "login":
            return self.sim.varserver.login(self.headers.get("Authorization"))
        if query == "logout":
            return self.sim.varserver.logout(self._session())
        return auth_error(400)

    def _vars_query(self) -> str | Response:
        """The /vars query: GET's query string or POST's body (fcgi_vars ProcessGETRequest /
        ProcessPOSTRequest). A POST needs a Content-Length of 1-1024 bytes, else 413; a
        chunked body has none. Other methods: 405 (fcgi_vars ProcessUnsupportedRequest)."""
        if self.command == "GET":
            return self._query
        if self.command != "POST":
            return vars_error(405, "Method Not Allowed", ERR_UNSUPPORTED_REQUEST)
        if self.headers.get("Content-Length") is None:
            return vars_error(413, "Invalid Content-Length", ERR_NO_CONTENT_LENGTH)
        if not 0 < len(self._body) <= MAX_POST:
            return vars_error(413, "Invalid Content-Length", ERR_INVALID_CONTENT_LENGTH)
        return self._body.decode("utf-8", "replace")

    def _lacks(self, path: str) -> bool:
        """Fault "hang_missing": does this /vars request name a variable the firmware lacks?
        (Field notes: such a request can hang the real PVS instead of answering 400.)"""
        if path != "/vars" or not self._new_api():
            return False
        query = self._vars_query()
        return not isinstance(query, Response) and bool(self.sim.varserver.lacks(query))

    def _session(self) -> str | None:
        raw = self.headers.get("Cookie")
        if not raw:
            return None
        try:
            cookie = SimpleCookie(raw)
        except CookieError:
            return None
        morsel = cookie.get("session")
        return morsel.value if morsel else None

    # ----- control endpoints (not the PVS's) ---------------------------------------------
    def _control(self, path: str, params: dict[str, str]) -> None:
        sim = self.sim
        method = self.command
        if path == "/_sim/counters" and method in ("GET", "HEAD"):
            data = sim.counters()
        elif path == "/_sim/counters/reset" and method == "POST":
            sim.reset_counters()
            data = sim.counters()
        elif path == "/_sim/fault" and method == "POST":
            try:
                mode = validate_mode(params.get("mode", ""), "mode")
                seconds = validate_seconds(params.get("seconds"))
            except BridgeInputError as exc:  # say what is allowed
                self._send_control({"error": str(exc)}, 400)
                return
            if mode == "restarting":
                self.close_connection = True
            data = {"fault": sim.set_fault(mode, seconds=seconds).as_dict()}
        elif path == "/_sim/fault" and method in ("GET", "HEAD"):
            data = {"fault": sim.faults.current.as_dict()}
        elif path == "/_sim/firmware" and method == "POST":
            try:
                build = parse_build(params.get("build", ""))
                seconds = validate_seconds(params.get("seconds"))
                renew = parse_flag(params.get("new_certificate", "0"), "new_certificate")
            except BridgeInputError as exc:
                self._send_control({"error": str(exc)}, 400)
                return
            self.close_connection = True
            fault = sim.set_firmware(build, seconds=seconds, new_certificate=renew)
            data = {"fault": fault.as_dict(), "build": build, "new_certificate": renew}
        elif path == "/_sim/clock" and method == "POST":
            try:
                seconds = validate_seconds(params.get("advance"), "advance") or 0.0
            except BridgeInputError as exc:
                self._send_control({"error": str(exc)}, 400)
                return
            sim.clock.advance(seconds)
            data = sim.clock_state()
        elif path == "/_sim/clock" and method in ("GET", "HEAD"):
            data = sim.clock_state()
        else:
            self._send_control({"error": f"no control endpoint {method} {path}"}, 404)
            return
        self._send_control(data)

    def _send_control(self, data: dict, status: int = 200) -> None:
        response = Response(status, json.dumps(data, indent=1).encode() + b"\n")
        self._write(response, [("Content-Type", "application/json"), ("Cache-Control", "no-store")])

    # ----- I/O ------------------------------------------------------------------------------
    def _read_body(self) -> bytes | None:
        """The request body (b"" when none); None after answering a bad one."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            self.send_error(400)
            return None
        if length < 0 or length > MAX_BODY:
            self.send_error(413)
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        body = b""
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip() or b"x", 16)
            except ValueError:
                self.send_error(400)
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return body
            if len(body) + size > MAX_BODY:
                self.send_error(413)
                return None
            body += self.rfile.read(size)
            self.rfile.readline(1024)

    def _send(self, response: Response) -> None:
        self.sim.record_status(response.status)
        self._write(response, pvs_headers(response))

    def _write(self, response: Response, headers: list[tuple[str, str]]) -> None:
        self.send_response_only(response.status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Date", email.utils.formatdate(usegmt=True))
        self.send_header("Server", SERVER)
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)
        self.wfile.flush()


def handler_for(sim: Simulator, scheme: str) -> type[PVSHandler]:
    """A handler class bound to one simulator and one listener's scheme."""
    return type(f"PVSHandler_{scheme}", (PVSHandler,), {"sim": sim, "scheme": scheme})
