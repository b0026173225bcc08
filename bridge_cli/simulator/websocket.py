"""The telemetry WebSocket (port 9002 on new firmware): a minimal RFC 6455 server.

After the handshake it pushes `{"notification": "power", "params": {...}}` text frames
(the live data pypvs's PVSWebSocket reads; SunStrong-Management/pypvs PR #41) with the
current values, then again only when a value changed: it looks every `ws_interval` real
seconds, and the live data changes with the meters (every 5 s of the site clock), so idle
gaps are normal (field notes: real gaps of 60-70 s; pypvs gives up after 90 s of silence).
The PVS closes every WebSocket after 10 minutes (field notes): here after `ws_lifetime`
seconds of the protocol clock (SimClock: compressible, or advanced by hand), with a close
frame 1001 "going away"; clients reconnect. Pings are answered. Anything that is not a
WebSocket upgrade gets a 400 and is closed. A PVS5 has no port 9002 at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import select
import socket
import socketserver
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridge_cli.simulator.contract import Simulator

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def frame(opcode: int, payload: bytes) -> bytes:
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    b1, b2 = _recv_exact(sock, 2)
    n = b2 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", _recv_exact(sock, 2))
    elif n == 127:
        (n,) = struct.unpack("!Q", _recv_exact(sock, 8))
    if n > 1 << 20:
        raise ConnectionError("frame too large")
    mask = _recv_exact(sock, 4) if b2 & 0x80 else b""
    payload = _recv_exact(sock, n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return b1 & 0x0F, payload


def live_params(sim: Simulator) -> dict:
    variables = sim.varserver.variables()
    prefix = "/sys/livedata/"
    params: dict = {}
    for name, value in variables.items():
        if name.startswith(prefix):
            key = name[len(prefix) :]
            try:
                params[key] = int(value) if key == "time" else float(value)
            except ValueError:
                params[key] = value
    return params


class TelemetryHandler(socketserver.BaseRequestHandler):
    sim: Simulator

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(10)
        try:
            with self.sim.count("ws"):
                if not self._handshake(sock):
                    return
                self.sim.record_status(101)
            self._stream(sock)
        except (OSError, ConnectionError, ValueError):
            pass

    def _handshake(self, sock: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk or len(data) > 16384:
                return False
            data += chunk
        lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        key = headers.get("sec-websocket-key")
        upgrade = headers.get("upgrade", "").lower()
        if not lines[0].startswith("GET ") or "websocket" not in upgrade or not key:
            self.sim.record_status(400)
            sock.sendall(BAD_REQUEST)
            return False
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept_key(key)}\r\n\r\n"
            ).encode()
        )
        return True

    def _stream(self, sock: socket.socket) -> None:
        sim = self.sim
        interval = sim.config.ws_interval
        closes_at = sim.clock.now() + sim.config.ws_lifetime
        last: dict | None = None
        while not sim.stopping.is_set():
            if sim.clock.now() >= closes_at:
                sock.sendall(frame(OP_CLOSE, struct.pack("!H", 1001) + b"going away"))
                sim.count_event("ws_closed_by_pvs")
                return
            params = live_params(sim)
            if params != last:  # only on change
                message = {"notification": "power", "params": params}
                sock.sendall(frame(OP_TEXT, json.dumps(message).encode()))
                sim.count_event("ws_messages")
                last = params
            sim.count_event("ws_polls")
            ready, _, _ = select.select([sock], [], [], interval)
            if not ready:
                continue
            opcode, payload = read_frame(sock)
            if opcode == OP_PING:
                sock.sendall(frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                sock.sendall(frame(OP_CLOSE, payload[:2]))
                return
