"""A tiny HTTP/1.1 stand-in for the PVS's lighttpd, on loopback, for the proxy tests.

It records every request it receives and the peak number of requests in flight, answers
``Cache-Control: no-cache`` like the PVS, and can be slowed down per request.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The bridge's HTTP health check (roles/bridge_proxy): answered, counted apart.
HEALTH_CHECK_AGENT = "pvs-bridge-health-check"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PvsStandIn

    def log_message(self, *args):  # quiet
        pass

    def _answer(self, with_body: bool) -> None:
        stand_in = self.server
        if self.headers.get("User-Agent") == HEALTH_CHECK_AGENT:
            self._health_check(with_body)
            return
        with stand_in.lock:
            stand_in.requests.append((self.command, self.path))
            stand_in.headers.append({k.lower(): v for k, v in self.headers.items()})
            stand_in.in_flight += 1
            stand_in.peak = max(stand_in.peak, stand_in.in_flight)
        try:
            stand_in.release.wait(stand_in.delay)
            body = json.dumps(
                {"path": self.path, "n": len(stand_in.requests), "pad": "x" * 2000}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Pragma", "no-cache")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)
        finally:
            with stand_in.lock:
                stand_in.in_flight -= 1

    def _health_check(self, with_body: bool) -> None:
        with self.server.lock:
            self.server.health_checks += 1
        body = b'{"supervisor": {}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self):
        self._answer(True)

    def do_HEAD(self):
        self._answer(False)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._answer(True)


class PvsStandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: str = "127.0.0.1", port: int = 0, delay: float = 0.0):
        super().__init__((address, port), _Handler)
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.health_checks = 0
        self.peak = 0
        self.delay = delay
        self.release = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self) -> PvsStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def commands_seen(self) -> list[str]:
        return [path for _, path in self.requests]
