"""The mixed workload of today's clients, through every peer side by side.

Legacy pollers (a Home Assistant integration, a script) each read DeviceList and the
SunVault status (`/cgi-bin/dl_cgi/energy-storage-system/status`) every 120 s; a Prometheus
exporter scrapes Start, Get_Comm, GridProfileGet, DeviceList and Stop one after the other
every 30 s. Every client opens a fresh connection per request and asks for gzip. The
schedule (seeded offsets) is the same for every peer; each peer has its own simulator
(realistic latency, with SunVault devices), whose counters say what reached the PVS.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from dataclasses import dataclass, field

from harness.bench import loopback, peers, pollers, stats
from harness.bench.protection import runnable

DL = "/cgi-bin/dl_cgi?Command="
ESS_STATUS = "/cgi-bin/dl_cgi/energy-storage-system/status"
LEGACY = (DL + "DeviceList", ESS_STATUS)
SCRAPE = tuple(DL + c for c in ("Start", "Get_Comm", "GridProfileGet", "DeviceList", "Stop"))
MAX_CLIENTS = 20


@dataclass(frozen=True)
class Client:
    name: str
    interval: float
    paths: tuple[str, ...]  # asked one after the other, each cycle


def clients(legacy: int = 2, exporters: int = 1) -> list[Client]:
    """The mixed workload's clients: `legacy` pollers at 120 s, `exporters` at 30 s."""
    if not 0 <= legacy <= MAX_CLIENTS or not 0 <= exporters <= MAX_CLIENTS:
        raise ValueError(f"clients must be within 0..{MAX_CLIENTS}")
    return [Client(f"legacy-{i + 1}", 120.0, LEGACY) for i in range(legacy)] + [
        Client(f"prometheus-{i + 1}", 30.0, SCRAPE) for i in range(exporters)
    ]


def schedule(
    client_list: list[Client], duration: float, seed: int = 11
) -> list[tuple[Client, list[float]]]:
    """When each client starts a cycle (seconds from the start): a seeded offset within the
    first interval (or the first half of the run when that is shorter), then every
    interval, none at or after `duration`. Pure, so every peer gets the same schedule."""
    if duration <= 0:
        raise ValueError("duration must be positive")
    rng = random.Random(seed)
    out = []
    for c in client_list:
        first = rng.uniform(0, min(c.interval, duration / 2))
        times, t = [], first
        while t < duration:
            times.append(round(t, 3))
            t += c.interval
        out.append((c, times))
    return out


@dataclass
class MixedResult:
    seconds: list[float] = field(default_factory=list)  # HTTP 200 answers
    by_path: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    wall: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def run(
    host: str,
    port: int,
    plan: list[tuple[Client, list[float]]],
    timeout: float = 150.0,
) -> MixedResult:
    """Play the schedule against host:port (bounded: its last start + timeout per path)."""
    result = MixedResult()
    lock = threading.Lock()
    start = time.monotonic()

    def one(path: str) -> None:
        t0 = time.monotonic()
        try:
            status, _ = pollers._one(host, port, path, timeout)
        except (OSError, http.client.HTTPException) as exc:
            status, error = None, type(exc).__name__
        else:
            error = None if status == 200 else f"HTTP {status}"
        elapsed = time.monotonic() - t0
        with lock:
            result.requests += 1
            if error:
                result.errors[error] = result.errors.get(error, 0) + 1
            else:
                result.seconds.append(elapsed)
                result.by_path.setdefault(path, []).append(elapsed)

    def client(c: Client, times: list[float]) -> None:
        for due in times:
            pause = start + due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            for path in c.paths:
                one(path)

    threads = [threading.Thread(target=client, args=ct, daemon=True) for ct in plan]
    for t in threads:
        t.start()
    last = max((ts[-1] for _, ts in plan if ts), default=0.0)
    longest = max((len(c.paths) for c, _ in plan), default=1)
    for t in threads:
        t.join(timeout=last + timeout * longest + 10)
    result.wall = time.monotonic() - start
    return result


def _run_one(which: str, plan, inverters: int, timeout: float, out: dict) -> None:
    try:
        with (
            loopback.Simulator(inverters=inverters, latency="realistic", ess=True) as sim,
            peers.Peer(which, sim.port) as proxy,
        ):
            sim.reset_counters()
            result = run(loopback.LOOPBACK, proxy.port, plan, timeout=timeout)
            counters = sim.counters()
        out[which] = {
            "config": which,
            "label": peers.LABELS[which],
            "peak_concurrency": counters["concurrency"]["peak"],
            "reached_pvs": counters["requests"],
            "reached_by_command": counters["commands"],
            "clients": {
                "requests": result.requests,
                "ok": len(result.seconds),
                "errors": result.errors,
                "error_count": result.error_count,
                "latency": stats.summary(result.seconds),
                "wall": result.wall,
            },
        }
    except Exception as exc:  # reported in its row, the other peers still run
        out[which] = {
            "config": which,
            "label": peers.LABELS[which],
            "error": f"{type(exc).__name__}: {exc}",
        }


def measure(
    duration: float = 120.0,
    inverters: int = 24,
    timeout: float = 150.0,
    legacy: int = 2,
    exporters: int = 1,
    peer_keys: tuple[str, ...] = peers.PEERS,
    log=print,
) -> dict:
    """The mixed workload through every peer at once; {"settings":..., "<peer>": {...}}."""
    plan = schedule(clients(legacy, exporters), duration)
    out: dict = {"peers": list(peer_keys)}
    log(
        f"bench: mixed workload: {legacy} legacy pollers (120 s), {exporters} Prometheus "
        f"exporter(s) (30 s) for {duration:.0f} s through {', '.join(peer_keys)}"
    )
    threads = [
        threading.Thread(target=_run_one, args=(w, plan, inverters, timeout, out))
        for w in runnable(peer_keys, out)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    asked = sum(len(c.paths) * len(ts) for c, ts in plan)
    out["settings"] = {
        "duration": duration,
        "inverters": inverters,
        "client_timeout": timeout,
        "legacy": legacy,
        "exporters": exporters,
        "requests_planned": asked,
        "schedule": [
            {"client": c.name, "interval": c.interval, "paths": list(c.paths), "starts": ts}
            for c, ts in plan
        ],
    }
    for which in peer_keys:
        row = out.get(which, {})
        if "error" not in row and "skipped" not in row:
            log(
                f"bench: mixed {which}: peak {row['peak_concurrency']}, reached "
                f"{row['reached_pvs']} of {asked}, client errors {row['clients']['error_count']}"
            )
    return out
