"""The telemetry WebSocket (9002): data only on change, closed by the PVS every 10 min."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time

from bridge_cli.simulator.websocket import OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, read_frame

START = 1_760_000_000.0  # a fixed site time (daylight in California is not needed)


def ws_connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            "GET / HTTP/1.1\r\nHost: pvs\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101")
    return sock


def send_masked(sock: socket.socket, opcode: int, payload: bytes) -> None:
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body)


def wait_for(predicate, what: str) -> None:
    for _ in range(500):
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def test_sends_only_on_change(make_sim):
    site_time = [START]
    sim = make_sim(firmware=61846, clock=lambda: site_time[0], ws_interval=0.02)
    sock = ws_connect(sim.ports["ws"])
    try:
        opcode, payload = read_frame(sock)  # the current values on connect
        assert opcode == OP_TEXT
        first = json.loads(payload)
        assert first["notification"] == "power" and first["params"]["time"] > 0
        # the site clock stands still: many looks at the values, no message
        polls = sim.counters()["events"].get("ws_polls", 0)  # none yet right after connecting
        wait_for(lambda: sim.counters()["events"].get("ws_polls", 0) >= polls + 10, "10 polls")
        send_masked(sock, OP_PING, b"hi")
        assert read_frame(sock) == (OP_PONG, b"hi")  # the next frame is the pong, no data
        assert sim.counters()["events"]["ws_messages"] == 1
        site_time[0] += 5  # the meters refresh: one new message
        opcode, payload = read_frame(sock)
        assert opcode == OP_TEXT
        assert json.loads(payload)["params"]["time"] == first["params"]["time"] + 5
    finally:
        sock.close()


def test_pvs_closes_after_ten_minutes(make_sim):
    site_time = [START]
    sim = make_sim(firmware=61846, clock=lambda: site_time[0], ws_interval=0.02)
    sock = ws_connect(sim.ports["ws"])
    try:
        assert read_frame(sock)[0] == OP_TEXT
        sim.clock.advance(599)
        send_masked(sock, OP_PING, b"1")
        assert read_frame(sock) == (OP_PONG, b"1")  # still open at 9:59
        sim.clock.advance(1)
        opcode, payload = read_frame(sock)
        assert opcode == OP_CLOSE and struct.unpack("!H", payload[:2])[0] == 1001
        assert sim.counters()["events"]["ws_closed_by_pvs"] == 1
    finally:
        sock.close()


def test_time_scale_compresses_session_lifetime(make_sim):
    """time_scale 600: the 300 s session ends after about half a real second."""
    from simhttp import request

    sim = make_sim(firmware=61846, time_scale=600.0)
    auth = {"Authorization": "basic " + base64.b64encode(b"ssm_owner:A0748").decode()}
    status, headers, _ = request(sim.https_url, "/auth?login", headers=auth)
    cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}
    login_at = sim.clock.now()
    wait_for(lambda: sim.clock.now() - login_at > 301, "5 simulated minutes")
    assert request(sim.https_url, "/vars?name=/sys/info/model", headers=cookie)[0] == 401
