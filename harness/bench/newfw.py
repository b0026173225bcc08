"""The 2025 firmware's API through the bridge, on loopback (issue 12, item 7).

A 2025-firmware simulator (`bridge-cli simulate --firmware 61845`) behind the role's
haproxy twice at once: :443 terminated (the role's default; the bridge's certificate made
as the role makes it, the PVS's pinned) and :443 passed through. Measures:

- the latency a client sees for one `/vars` read through each (p50/p99), on a new TLS
  connection per request and on one kept-alive connection, alternating blocks so that
  background load hits both alike; added = terminated minus pass-through;
- TLS handshakes per second (harness.bench.handshakes);
- three pypvs clients (SunStrong's library, as the Home Assistant integration runs it)
  polling every 10 s through the terminated :443 in front of a simulator at realistic
  latency: the PVS's peak concurrency and requests per minute, from its own counters.

127.0.0.1 only; every process is a child of the run, stopped at its end.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import json
import shutil
import ssl
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bridge_cli import bridge_tls
from harness.bench import handshakes
from harness.bench.loopback import LOOPBACK, Haproxy, Simulator, role_config
from harness.bench.stats import summary
from harness.local_haproxy import free_port

FIRMWARE = "61845"
READ = "/vars?name=/sys/info/uptime"  # one small variable; /vars is never cached
POLL_INTERVAL = 10.0
POLLERS = 3


class NewFirmwareSimulator(Simulator):
    """`bridge-cli simulate --firmware 61845` on 127.0.0.1 (HTTP, HTTPS), in a subprocess."""

    def __init__(self, latency: str = "none"):
        super().__init__(latency=latency)
        self.https_port = free_port()

    def options(self) -> list[str]:
        return ["--https-port", str(self.https_port), "--ws-port", str(free_port()),
                "--firmware", FIRMWARE, "--latency", self.latency]  # fmt: skip

    def listening_ports(self) -> tuple[int, ...]:
        return (self.port, self.https_port)


class Bridge:
    """The role's haproxy on loopback with :443 in one mode, in front of `sim`."""

    def __init__(self, sim: NewFirmwareSimulator, mode: str, tls_dir: Path, **extra):
        self.https_port = free_port()
        overrides = {
            "bridge_proxy_https_mode": mode,
            "bridge_proxy_https_port": self.https_port,
            "bridge_proxy_pvs_https_port": sim.https_port,
            "bridge_proxy_tls_dir": str(tls_dir),
            **extra,
        }
        config, http_port, _ = role_config(sim.port, overrides)
        self.haproxy = Haproxy(config, http_port, label=f"haproxy ({mode})")
        self.haproxy.listen.append((LOOPBACK, self.https_port))

    def __enter__(self) -> Bridge:
        self.haproxy.start()
        return self

    def __exit__(self, *exc) -> None:
        self.haproxy.stop()


@contextlib.contextmanager
def tls_files(sim: NewFirmwareSimulator) -> Iterator[Path]:
    """bridge.pem (EC P-256, as the role makes it) and the PVS's certificate, pinned."""
    tmp = Path(tempfile.mkdtemp(prefix="pvs-bench-tls-"))
    try:
        bridge_tls.make_self_signed(tmp / "bridge.pem", "pvs-bridge", [LOOPBACK])
        pinned = bridge_tls.presented_certificate(LOOPBACK, sim.https_port)
        (tmp / "pvs-pinned.pem").write_text(pinned)
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def client_context() -> ssl.SSLContext:
    """No verification (pypvs does none either), no session reuse: a full handshake each."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def login(port: int, serial: str) -> str:
    """Log in as a client does (ssm_owner, the serial's last five); the session cookie."""
    conn = http.client.HTTPSConnection(LOOPBACK, port, context=client_context(), timeout=30)
    token = base64.b64encode(f"ssm_owner:{serial[-5:]}".encode()).decode()
    conn.request("GET", "/auth?login", headers={"Authorization": f"basic {token}"})
    answer = conn.getresponse()
    answer.read()
    conn.close()
    if answer.status != 200:
        raise RuntimeError(f"login through :{port} answered {answer.status}")
    return answer.getheader("Set-Cookie", "").split(";")[0]


def serial_of(port: int) -> str:
    conn = http.client.HTTPSConnection(LOOPBACK, port, context=client_context(), timeout=30)
    conn.request("GET", "/cgi-bin/dl_cgi/supervisor/info")
    data = json.loads(conn.getresponse().read())
    conn.close()
    return data["supervisor"]["SERIAL"]


def timed_reads(port: int, cookie: str, count: int, keep_alive: bool) -> list[float]:
    """Seconds per `/vars` read: a new connection each (handshake included) or one kept."""
    context = client_context()
    samples: list[float] = []
    conn = None
    for i in range(count):
        start = time.perf_counter()
        if conn is None:
            conn = http.client.HTTPSConnection(LOOPBACK, port, context=context, timeout=30)
        conn.request("GET", f"{READ}&cache=b{i}", headers={"Cookie": cookie})  # unique, allowed
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{READ} through :{port} answered {answer.status}")
        if not keep_alive:
            conn.close()
            conn = None
        samples.append(time.perf_counter() - start)
    if conn is not None:
        conn.close()
    return samples


def latency(requests: int, blocks: int = 5) -> dict:
    """p50/p99 of one read through terminated and passed-through :443, same run."""
    with (
        NewFirmwareSimulator() as sim,
        tls_files(sim) as tls,
        Bridge(sim, "terminate", tls) as terminated,
        # A new connection per read: haproxy still counts the previous tunnels against the
        # per-client limit (2) until both sides have closed, and under load it resets the
        # handshake. This measures latency, not that limit (tests/roles/test_proxy_attack.py).
        Bridge(sim, "passthrough", tls, bridge_proxy_passthrough_client_maxconn=16) as passed,
    ):
        serial = serial_of(passed.https_port)
        modes = {"terminate": terminated.https_port, "passthrough": passed.https_port}
        cookies = {mode: login(port, serial) for mode, port in modes.items()}
        out: dict = {"requests": requests}
        for keep_alive in (False, True):
            samples: dict[str, list[float]] = {mode: [] for mode in modes}
            per_block = max(1, requests // blocks)
            for _ in range(blocks):
                for mode, port in modes.items():
                    samples[mode] += timed_reads(port, cookies[mode], per_block, keep_alive)
            key = "keep_alive" if keep_alive else "new_connection"
            out[key] = {mode: summary(values) for mode, values in samples.items()}
            out[key]["added_p50"] = out[key]["terminate"]["p50"] - out[key]["passthrough"]["p50"]
            out[key]["added_p99"] = out[key]["terminate"]["p99"] - out[key]["passthrough"]["p99"]
    return out


def handshake_rate(seconds: float, clients: int) -> dict:
    with (
        NewFirmwareSimulator() as sim,
        tls_files(sim) as tls,
        Bridge(sim, "terminate", tls) as bridge,
    ):
        return handshakes.measure(bridge.haproxy.pid, bridge.https_port, seconds, clients)


async def _poll(port: int, stop_at: float, index: int) -> dict:
    import aiohttp
    from pypvs.pvs import PVS

    polls = errors = 0
    async with aiohttp.ClientSession() as session:
        pvs = PVS(session=session, host=f"{LOOPBACK}:{port}", user="ssm_owner")
        await asyncio.sleep(index * POLL_INTERVAL / POLLERS)  # spread as independent clients
        next_at = time.monotonic()
        while next_at < stop_at:
            try:
                if pvs.serial_number is None:
                    await pvs.discover()
                    await pvs.setup(auth_password=pvs.serial_number[-5:])
                await pvs.update()
                polls += 1
            except Exception:  # noqa: BLE001 - counted, the poller goes on like a client
                errors += 1
            next_at += POLL_INTERVAL
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    return {"polls": polls, "errors": errors}


def pollers(duration: float) -> dict:
    """Three pypvs clients every 10 s through :443 (terminated) to a realistic PVS."""
    with (
        NewFirmwareSimulator(latency="realistic") as sim,
        tls_files(sim) as tls,
        # Without the bridge's own health check: it is a small read every few seconds
        # beside the one-request slot (docs/proxy.md) and would count in the PVS's peak.
        Bridge(sim, "terminate", tls, bridge_proxy_health_check=False) as bridge,
    ):
        sim.reset_counters()
        started = time.monotonic()

        async def run_all() -> list[dict]:
            stop_at = time.monotonic() + duration
            jobs = [_poll(bridge.https_port, stop_at, i) for i in range(POLLERS)]
            return await asyncio.gather(*jobs)

        clients = asyncio.run(run_all())
        elapsed = time.monotonic() - started
        counters = sim.counters()
    minutes = elapsed / 60
    return {
        "clients": clients,
        "interval": POLL_INTERVAL,
        "duration": elapsed,
        "peak": counters["concurrency"]["peak"],
        "requests": counters["requests"],
        "per_minute": counters["requests"] / minutes,
        "commands": counters["commands"],
        "per_poll": counters["commands"].get("vars", 0) / max(1, sum(c["polls"] for c in clients)),
    }


def measure(requests: int, handshake_seconds: float, poll_duration: float, log=print) -> dict:
    out: dict = {}
    for key, func, args in (
        ("latency", latency, (requests,)),
        ("handshakes", handshake_rate, (handshake_seconds, 2)),
        ("estimate", handshakes.pi_zero_estimate, ()),
        ("pollers", pollers, (poll_duration,)),
    ):
        log(f"bench: new firmware: {key}")
        try:
            out[key] = func(*args)
        except Exception as exc:  # noqa: BLE001 - reported in its row, the rest goes on
            out[key] = {"error": f"{type(exc).__name__}: {exc}"}
    return out
