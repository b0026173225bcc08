"""A real bridge on loopback for tests and benchmarks: the simulator behind a real haproxy.

haproxy runs the bridge_proxy role's own template (harness.proxy_config), bound to a
private 127.x.y.z address with the real ports (80, 8080, 443), in the foreground (-db), as
a subprocess. Only loopback is used.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace

from bridge_cli.doctor.context import DoctorOptions
from harness.local_haproxy import UNPRIVILEGED_OVERRIDES, LocalHaproxy


def free_loopback_address(seed: int = 0) -> str:
    """A 127.x.y.z address where nothing listens on 80/8080/443 (probed)."""
    base = (os.getpid() * 7 + seed * 131) % 60000
    for i in range(500):
        n = base + i * 17
        addr = f"127.{100 + (n // 62500) % 100}.{(n // 250) % 250 + 1}.{n % 250 + 2}"
        if all(_port_free(addr, p) for p in (80, 8080, 443, 9002)):
            return addr
    raise RuntimeError("no free loopback address found")


def _port_free(addr: str, port: int) -> bool:
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_port(addr: str, port: int, timeout: float = 10.0, want_open: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((addr, port), timeout=0.5):
                is_open = True
        except OSError:
            is_open = False
        if is_open == want_open:
            return
        time.sleep(0.05)
    raise TimeoutError(f"{addr}:{port} did not {'open' if want_open else 'close'}")


def haproxy_overrides(address: str, sim_host: str, sim_ports: dict, **extra) -> dict:
    o = {
        "bridge_proxy_bind_address": address,
        "bridge_proxy_pvs_address": sim_host,
        "bridge_proxy_pvs_port": sim_ports["http"],
        **UNPRIVILEGED_OVERRIDES,
        "bridge_proxy_health_check_interval": "1s",
    }
    if "https" in sim_ports:
        o["bridge_proxy_pvs_https_port"] = sim_ports["https"]
    else:
        o["bridge_proxy_https_passthrough"] = False
    if "ws" in sim_ports:
        o["bridge_proxy_pvs_ws_port"] = sim_ports["ws"]
    else:
        o["bridge_proxy_ws_passthrough"] = False
    o.update(extra)
    return o


@dataclass
class Bed:
    address: str
    sim: object
    haproxy: LocalHaproxy

    def options(self, **kw) -> DoctorOptions:
        base = DoctorOptions(host=self.address, address=self.address, ssh=False, timeout=3.0)
        return replace(base, **kw)


@contextmanager
def testbed(firmware="legacy", fault="none", haproxy_extra: dict | None = None, **sim_kw):
    """Yield a Bed: simulator (latency off) + the role's haproxy on a fresh 127.x address."""
    from bridge_cli.simulator.server import SimulatorConfig, SimulatorServer
    from harness.proxy_config import render_haproxy_cfg

    address = free_loopback_address()
    sim_host = address.rsplit(".", 1)[0] + "." + str(int(address.rsplit(".", 1)[1]) + 1)
    cfg = SimulatorConfig(
        host=sim_host, port=0, firmware=firmware, latency="none", fault=fault, **sim_kw
    )
    sim = SimulatorServer(cfg)
    sim.start()
    haproxy = None
    try:
        ports = dict(sim.ports) if isinstance(sim.ports, dict) else dict(sim.ports())
        overrides = haproxy_overrides(address, sim_host, ports, **(haproxy_extra or {}))
        listen = [(address, 80), (address, 8080)]
        haproxy = LocalHaproxy(render_haproxy_cfg(overrides), listen).start()
        yield Bed(address, sim, haproxy)
    finally:
        if haproxy:
            haproxy.stop()
        sim.stop()


class SilentHost:
    """Listeners that never complete a TCP handshake (their accept queue is full): on
    loopback, this behaves like a host that is off the network (SYNs go unanswered)."""

    def __init__(self, address: str, ports=(80, 8080, 22)):
        self.socks: list[socket.socket] = []
        for port in ports:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((address, port))
            s.listen(0)
            self.socks.append(s)
            for _ in range(3):  # fill the accept queue; later SYNs are dropped
                c = socket.socket()
                c.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    c.connect((address, port))
                self.socks.append(c)
        time.sleep(0.1)

    def close(self) -> None:
        for s in self.socks:
            s.close()

    def __enter__(self) -> SilentHost:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def http_get(addr, path: str, timeout: float = 60.0, context: ssl.SSLContext | None = None):
    """(status or the error's name, lower-cased headers, body) of one GET."""
    if context is None:
        conn = http.client.HTTPConnection(*addr, timeout=timeout)
    else:
        conn = http.client.HTTPSConnection(*addr, timeout=timeout, context=context)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    except OSError as exc:
        return type(exc).__name__, {}, b""
    finally:
        conn.close()


class Pollers:
    """Clients reading through the bridge in threads until stopped: what they got."""

    def __init__(self, jobs: list[tuple[tuple[str, int], str, ssl.SSLContext | None]]):
        self.jobs = jobs
        self.stop = threading.Event()
        self.answers: list[object] = []
        self.threads = [threading.Thread(target=self._run, args=job) for job in jobs]

    def _run(self, addr, path, context) -> None:
        while not self.stop.is_set():
            status, headers, _ = http_get(addr, path, timeout=90, context=context)
            self.answers.append((status, headers.get("x-pvs-bridge-pvs")))
            self.stop.wait(0.2)

    def __enter__(self) -> Pollers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(120)
