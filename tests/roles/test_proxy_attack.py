"""The bridge under attack: the role's haproxy.cfg in front of the real PVS simulator.

Ground truth is the simulator's counters: a refused request leaves them unchanged, and
no write ever reaches them; every legitimate read of today's clients still does. The same
table (harness.proxy_attacks) runs in the lab against each guest's own haproxy
(molecule/shared/tests/test_attack.py). Flood and slow-client cases use bounded loops and
several loopback source addresses (127.0.0.x) as separate clients.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import shutil
import socket
import threading
import time
import urllib.request

import pytest
from roles_haproxy import HAPROXY, LOOPBACK, RunningHaproxy, loopback_overrides

from bridge_cli.simulator.server import SimulatorConfig, SimulatorServer
from harness import proxy_attacks

pytestmark = pytest.mark.skipif(
    not (shutil.which("haproxy") or os.path.exists(HAPROXY)), reason="haproxy not installed"
)

NEW_FIRMWARE = 61845
READ = "/cgi-bin/dl_cgi?Command=Get_Comm"


def sim_port(sim: SimulatorServer) -> int:
    return int(sim.http_url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(SimulatorConfig(latency="none", https_port=None, ws_port=None)) as s:
        yield s


@pytest.fixture(scope="module")
def bridge(tmp_path_factory, sim):
    with RunningHaproxy(tmp_path_factory.mktemp("attack"), loopback_overrides(sim_port(sim))) as h:
        yield h


def get(addr, path, timeout=30.0, source=None, method="GET"):
    conn = http.client.HTTPConnection(
        *addr, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        conn.request(method, path)
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def write_commands(sim) -> dict[str, int]:
    return {k: v for k, v in sim.counters()["commands"].items() if k not in proxy_attacks.READ_KEYS}


# --- the table --------------------------------------------------------------------------


def test_the_table_is_big_enough():
    assert len(proxy_attacks.CASES) >= 80
    assert len({c.name for c in proxy_attacks.CASES}) == len(proxy_attacks.CASES)
    assert sum(c.expect == "read" for c in proxy_attacks.CASES) >= 10


def test_attack_table_zero_writes_every_read(bridge, sim):
    before = write_commands(sim)
    results = proxy_attacks.run(*bridge.http, sim.http_url + "/_sim/counters")
    failed = [f"{r.name}: {r.why} (answers {r.statuses})" for r in results if not r.ok]
    assert failed == []
    assert write_commands(sim) == before  # zero writes over the whole table


def test_the_table_sees_an_open_bridge(tmp_path, sim):
    """Counter-check: with the guard off the same table finds writes reaching the PVS."""
    variables = loopback_overrides(sim_port(sim)) | {"bridge_proxy_allow_writes": True}
    with RunningHaproxy(tmp_path, variables) as open_bridge:
        results = proxy_attacks.run(*open_bridge.http, sim.http_url + "/_sim/counters")
    assert sum(not r.ok for r in results) > 20
    assert "SetCellPurchased" in sim.counters()["commands"]


def test_cacheable_query_with_extras_hits_the_same_entry(bridge, sim):
    """Normalised, not refused: `Command=DeviceList&x=1` is the cached DeviceList."""
    assert get(bridge.http, "/cgi-bin/dl_cgi?Command=DeviceList")[0] == 200
    before = sim.counters()["commands"].get("DeviceList", 0)
    for extra in ("x=1", "_=1700000000", "a=b&c=d"):
        status, _, body = get(bridge.http, f"/cgi-bin/dl_cgi?Command=DeviceList&{extra}")
        assert status == 200 and b"devices" in body
    assert sim.counters()["commands"].get("DeviceList", 0) == before


# --- a hung PVS -------------------------------------------------------------------------


def set_fault(sim, mode: str, seconds: float | None = None) -> None:
    query = f"mode={mode}" + (f"&seconds={seconds}" if seconds else "")
    request = urllib.request.Request(f"{sim.http_url}/_sim/fault?{query}", method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def server_state(bridge) -> str:
    csv = get(bridge.stats, "/;csv")[2].decode()
    row = next(line for line in csv.splitlines() if line.startswith("pvs_http,pvs,"))
    return row.split(",")[17]  # the "status" column


def wait_state(bridge, state: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while server_state(bridge) != state:
        assert time.monotonic() < deadline, f"PVS not {state} within {limit:.0f} s"
        time.sleep(0.2)


def test_hung_pvs_is_marked_down_answered_503_and_recovers(tmp_path):
    config = SimulatorConfig(latency="none", https_port=None, ws_port=None)
    with (
        SimulatorServer(config) as pvs,
        RunningHaproxy(tmp_path, loopback_overrides(sim_port(pvs))) as bridge,
    ):
        assert get(bridge.http, "/cgi-bin/dl_cgi?Command=DeviceList")[0] == 200
        wait_state(bridge, "UP")
        set_fault(pvs, "hang", 300)
        stuck: dict = {}

        def reader():  # a read sent to the hung PVS: ended when it is marked down
            try:
                stuck["status"] = get(bridge.http, READ, timeout=60)[0]
            except OSError as exc:
                stuck["status"] = repr(exc)

        thread = threading.Thread(target=reader)
        thread.start()
        wait_state(bridge, "DOWN")
        thread.join(60)
        assert stuck["status"] in (502, 503)  # not the 150 s server timeout
        status, headers, body = get(bridge.http, READ, timeout=5)
        assert status == 503
        assert headers.get("x-pvs-bridge-pvs") == "down"
        assert b"does not answer its health check" in body
        # A cached read is still served from the cache while the PVS is down.
        assert get(bridge.http, "/cgi-bin/dl_cgi?Command=DeviceList", timeout=5)[0] == 200
        set_fault(pvs, "none")
        wait_state(bridge, "UP")
        assert get(bridge.http, READ)[0] == 200


# --- floods and slow clients ------------------------------------------------------------


def open_idle(addr, count: int, sources) -> list[socket.socket]:
    socks = []
    for i in range(count):
        with contextlib.suppress(OSError):
            socks.append(
                socket.create_connection(
                    addr, timeout=5, source_address=(sources[i % len(sources)], 0)
                )
            )
    return socks


def closed_by_bridge(sock: socket.socket) -> bool:
    """True once the bridge has closed SOCK (whatever it answered before)."""
    sock.settimeout(0.3)
    try:
        while sock.recv(65536):
            pass
        return True
    except TimeoutError:
        return False
    except OSError:
        return True


def close_all(socks) -> None:
    for sock in socks:
        sock.close()


def stats_and_metrics_answer(bridge) -> None:
    assert get(bridge.stats, "/", timeout=5)[0] == 200
    status, _, metrics = get(bridge.stats, "/metrics", timeout=5)
    assert status == 200 and b"haproxy_frontend_current_sessions" in metrics


def test_300_idle_connections_from_one_client(bridge, sim):
    socks = open_idle(bridge.http, 300, ["127.0.0.2"])
    try:
        time.sleep(0.5)
        # The per-client cap: the bridge closed all but bridge_proxy_client_maxconn of them.
        open_ones = [s for s in socks if not closed_by_bridge(s)]
        assert len(open_ones) <= 16
        stats_and_metrics_answer(bridge)
        assert get(bridge.http, READ, timeout=10)[0] == 200
    finally:
        close_all(socks)


def test_300_idle_connections_from_many_clients(bridge, sim):
    """More idle connections than :80 takes (128): stats and /metrics answer at once on
    their own listener; a reader is served once idle connections time out (5 s)."""
    sources = [f"127.0.1.{i}" for i in range(1, 41)]
    socks = open_idle(bridge.http, 300, sources)
    try:
        stats_and_metrics_answer(bridge)
        assert get(bridge.http, READ, timeout=30)[0] == 200
    finally:
        close_all(socks)


def test_slowloris_is_cut_and_a_reader_is_served(bridge, sim):
    sources = [f"127.0.2.{i}" for i in range(1, 11)]
    socks = open_idle(bridge.http, 40, sources)
    try:
        for sock in socks:
            sock.sendall(b"GET /cgi-bin/dl_cgi?Command=Get_Comm HTTP/1.1\r\n")
        closed = 0
        for _ in range(40):  # one header line per 0.5 s, at most 20 s
            stats_and_metrics_answer(bridge)
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X-a: b\r\n")
            closed = sum(closed_by_bridge(s) for s in socks)
            if closed == len(socks):
                break
            time.sleep(0.5)
        assert closed == len(socks)  # timeout http-request ended every one of them
        assert get(bridge.http, READ, timeout=10)[0] == 200
    finally:
        close_all(socks)


def slow_body(addr, method: str, stop: threading.Event) -> bytes:
    with socket.create_connection(addr, timeout=30, source_address=("127.0.3.1", 0)) as sock:
        sock.sendall(
            f"{method} /cgi-bin/dl_cgi?Command=SetCellPurchased HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 1000\r\n\r\n".encode()
        )
        answer = b""
        for _ in range(60):  # a byte every 0.5 s, at most 30 s
            if stop.is_set():
                break
            try:
                sock.sendall(b"a")
                sock.settimeout(0.5)
                answer = sock.recv(4096)
                if answer or answer == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        return answer


@pytest.mark.parametrize("allow_writes", [False, True], ids=["guard", "writes allowed"])
def test_a_slow_body_never_holds_the_pvs_slot(tmp_path, allow_writes):
    with SimulatorServer(SimulatorConfig(latency="none", https_port=None, ws_port=None)) as pvs:
        variables = loopback_overrides(sim_port(pvs)) | {"bridge_proxy_allow_writes": allow_writes}
        with RunningHaproxy(tmp_path, variables) as bridge:
            stop = threading.Event()
            answer: dict = {}
            thread = threading.Thread(
                target=lambda: answer.setdefault("raw", slow_body(bridge.http, "POST", stop))
            )
            thread.start()
            try:
                time.sleep(1)
                assert get(bridge.http, READ, timeout=10)[0] == 200  # the slot is free
            finally:
                thread.join(40)
                stop.set()
            assert proxy_attacks._status_lines(answer["raw"])[:1] in ([403], [408])
            assert "SetCellPurchased" not in pvs.counters()["commands"]


def ws_handshake(addr, source: str) -> socket.socket:
    sock = socket.create_connection(addr, timeout=10, source_address=(source, 0))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET / HTTP/1.1\r\nHost: pvs\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    return sock


def _handshake_or_refused(address, source):
    """A WebSocket handshake, or None when the bridge resets it (over the client's limit)."""
    try:
        return ws_handshake(address, source)
    except ConnectionResetError:
        return None


def test_websocket_clients_are_bounded(tmp_path):
    # ws_interval: the PVS sends only when values change (silent gaps of 60-70 s).
    config = SimulatorConfig(
        latency="none", firmware=NEW_FIRMWARE, https_port=None, ws_interval=3600
    )
    with SimulatorServer(config) as pvs:
        ws_port = int(pvs.ws_url.rsplit(":", 1)[1])
        variables = loopback_overrides(sim_port(pvs)) | {
            "bridge_proxy_pvs_ws_port": ws_port,
            "bridge_proxy_timeout_tunnel": "3s",
        }
        with RunningHaproxy(tmp_path, variables) as bridge:
            ws = (LOOPBACK, variables["bridge_proxy_ws_port"])
            clients = [ws_handshake(ws, f"127.0.4.{i}") for i in range(1, 6)]
            greedy = [_handshake_or_refused(ws, "127.0.5.1") for _ in range(5)]
            try:
                time.sleep(0.5)
                # One client holds at most bridge_proxy_passthrough_client_maxconn tunnels.
                # (A tunnel over the limit may be reset during its handshake: refused too.)
                assert sum(s is not None and not closed_by_bridge(s) for s in greedy) <= 2
                stats_and_metrics_answer(bridge)
                status, _, body = get(bridge.http, "/cgi-bin/dl_cgi/supervisor/info", timeout=10)
                assert status == 200 and b"supervisor" in body
                # A tunnel that stays silent (the PVS sends nothing for a client that never
                # enabled telemetry) is closed after bridge_proxy_timeout_tunnel.
                for _ in range(40):  # at most 20 s
                    if all(closed_by_bridge(s) for s in clients):
                        break
                    time.sleep(0.5)
                assert all(closed_by_bridge(s) for s in clients)
            finally:
                close_all(clients + [s for s in greedy if s is not None])
