"""One HTTP/1.1 GET over a raw socket, counting the bytes that really crossed the wire.

Used for the compression figures: the response is read to EOF (Connection: close), its
size counted as received (status line, headers, chunk framing, body), then de-chunked and
gunzipped to check it is the same JSON document. Standard library only.
"""

from __future__ import annotations

import gzip
import json
import socket
from dataclasses import dataclass


@dataclass
class WireResponse:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    wire_bytes: int  # everything received: status line, headers, framing, body
    header_bytes: int
    body_wire: bytes  # the body as sent (chunked and/or gzipped)
    body: bytes  # de-chunked and decoded

    @property
    def body_wire_bytes(self) -> int:
        return len(self.body_wire)

    @property
    def encoding(self) -> str:
        return self.headers.get("content-encoding", "identity")

    def json(self):
        return json.loads(self.body)


def _dechunk(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        end = data.index(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0], 16)
        pos = end + 2
        if size == 0:
            return bytes(out)
        out += data[pos : pos + size]
        pos += size + 2


def get(
    host: str, port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 60.0
) -> WireResponse:
    """GET path from host:port with Connection: close; the answer, fully read."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close", "User-Agent: bench"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
    chunks = []
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    raw = b"".join(chunks)
    head, sep, body_wire = raw.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError(f"incomplete HTTP answer from {host}:{port} ({len(raw)} bytes)")
    status_line, *header_lines = head.decode("iso-8859-1").split("\r\n")
    parsed: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        parsed[key] = f"{parsed[key]}, {value.strip()}" if key in parsed else value.strip()
    body = body_wire
    if "chunked" in parsed.get("transfer-encoding", "").lower():
        body = _dechunk(body)
    if parsed.get("content-encoding", "").lower() == "gzip":
        body = gzip.decompress(body)
    return WireResponse(
        status=int(status_line.split()[1]),
        headers=parsed,
        wire_bytes=len(raw),
        header_bytes=len(head) + len(sep),
        body_wire=body_wire,
        body=body,
    )
