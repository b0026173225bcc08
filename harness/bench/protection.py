"""Item 3: protection of the PVS, the role's haproxy config vs every peer, side by side.

Each proxy (the role's haproxy, the guide's, varnish, nginx, Caddy: harness.bench.peers)
gets its own real simulator (realistic latency) on loopback; all run at the same time (the
load is mostly waiting) with the same pollers. The simulator's counters (reset first) say
what reached the PVS; the pollers say what the clients saw. Every proxy's process tree is
watched for memory and CPU (idle, then under the load).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict

from harness.bench import loopback, peers, pollers, procstat, stats
from harness.proxy_config import role_defaults

DEVICE_LIST = "/cgi-bin/dl_cgi?Command=DeviceList"


def cache_ttl() -> int:
    return int(role_defaults()["bridge_proxy_cache_ttl"])


def _run_one(
    which: str,
    n_pollers: int,
    duration: float,
    inverters: int,
    timeout: float,
    idle: float,
    out: dict,
) -> None:
    try:
        with (
            loopback.Simulator(inverters=inverters, latency="realistic") as sim,
            peers.Peer(which, sim.port) as proxy,
        ):
            pids = proxy.pids()
            watch = procstat.Watch(pids).start()
            time.sleep(idle)
            at_idle = watch.stop()
            sim.reset_counters()
            watch = procstat.Watch(pids).start()
            result = pollers.poll(
                loopback.LOOPBACK, proxy.port, DEVICE_LIST, n_pollers, duration, timeout=timeout
            )
            under_load = watch.stop()
            detail = summed_detail(pids)
            counters = sim.counters()
            version = proxy.version()
        out[which] = {
            "config": which,
            "label": peers.LABELS[which],
            "haproxy": version,
            "version": version,
            "processes": len(pids),
            "counters": counters,
            "peak_concurrency": counters["concurrency"]["peak"],
            "reached_pvs": counters["commands"].get("DeviceList", 0),
            "clients": {
                "requests": result.requests,
                "ok": len(result.seconds),
                "errors": result.errors,
                "error_count": result.error_count,
                "statuses": result.statuses,
                "latency": stats.summary(result.seconds),
                "wall": result.wall,
            },
            "footprint": {"idle": at_idle, "load": under_load, "rss_detail": detail},
            "raw": asdict(result) | {"seconds": None},
        }
    except Exception as exc:  # reported in its row, the other config still runs
        out[which] = {
            "config": which,
            "label": peers.LABELS[which],
            "error": f"{type(exc).__name__}: {exc}",
        }


def summed_detail(pids: list[int]) -> dict:
    """procstat.rss_detail summed over a process tree (kB); a key missing in any process
    (e.g. Pss without smaps_rollup) is left out."""
    details = [procstat.rss_detail(p) for p in pids]
    keys = set.intersection(*(set(d) for d in details)) if details else set()
    return {k: sum(d[k] for d in details) for k in ("RssAnon", "RssFile", "RssShmem", "Pss")
            if k in keys}  # fmt: skip


def runnable(keys: tuple[str, ...], out: dict) -> list[str]:
    """The peers of KEYS that can run here; the others get {"skipped": reason} in OUT."""
    ok = []
    for key in keys:
        reason = peers.missing(key)
        if reason:
            out[key] = {"config": key, "label": peers.LABELS[key], "skipped": reason}
        else:
            ok.append(key)
    return ok


def measure(
    n_pollers: int = 20,
    duration: float = 60.0,
    inverters: int = 24,
    timeout: float = 180.0,
    idle: float = 5.0,
    log=print,
    peer_keys: tuple[str, ...] = peers.PEERS,
) -> dict:
    """Every peer at once; returns {"role": {...}, "guide": {...}, "varnish": ..., ...}."""
    out: dict = {"peers": list(peer_keys)}
    log(
        f"bench: protection: {n_pollers} pollers x {duration:.0f} s, {inverters} inverters, "
        f"{', '.join(peer_keys)} side by side (loopback)"
    )
    threads = [
        threading.Thread(
            target=_run_one, args=(w, n_pollers, duration, inverters, timeout, idle, out)
        )
        for w in runnable(peer_keys, out)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ttl = cache_ttl()
    scan = 0.3 + 0.25 * inverters  # the simulator's DeviceList time (bridge_cli.simulator)
    out["settings"] = {
        "pollers": n_pollers,
        "duration": duration,
        "inverters": inverters,
        "client_timeout": timeout,
        "cache_ttl": ttl,
        "devicelist_seconds": scan,
        "target_reached": math.ceil(duration / ttl) + 5,
    }
    for which in peer_keys:
        row = out[which]
        if "error" not in row and "skipped" not in row:
            log(
                f"bench: protection {which}: peak {row['peak_concurrency']}, reached "
                f"{row['reached_pvs']}, client errors {row['clients']['error_count']}"
            )
    return out
