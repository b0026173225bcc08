"""Item 3: protection of the PVS, the role's haproxy config vs the guide's, side by side.

Each configuration gets its own real simulator (realistic latency) and its own real haproxy
on loopback; both runs go at the same time (the load is mostly waiting) with the same
pollers. The simulator's counters (reset first) say what reached the PVS; the pollers say
what the clients saw. The role's haproxy is watched for memory and CPU (idle, then load).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict

from bridge_cli.bench import loopback, pollers, procstat, stats
from bridge_cli.proxy_config import role_defaults

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
        with loopback.Simulator(inverters=inverters, latency="realistic") as sim:
            if which == "role":
                config, port, _ = loopback.role_config(sim.port)
            else:
                config, port, _ = loopback.guide_config(sim.port)
            with loopback.Haproxy(config, port, label=f"{which} haproxy") as proxy:
                watch = procstat.Watch([proxy.pid]).start()
                time.sleep(idle)
                at_idle = watch.stop()
                sim.reset_counters()
                watch = procstat.Watch([proxy.pid]).start()
                result = pollers.poll(
                    loopback.LOOPBACK, port, DEVICE_LIST, n_pollers, duration, timeout=timeout
                )
                under_load = watch.stop()
                detail = procstat.rss_detail(proxy.pid)
                counters = sim.counters()
                version = proxy.version()
        out[which] = {
            "config": which,
            "haproxy": version,
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
        out[which] = {"config": which, "error": f"{type(exc).__name__}: {exc}"}


def measure(
    n_pollers: int = 20,
    duration: float = 60.0,
    inverters: int = 24,
    timeout: float = 180.0,
    idle: float = 5.0,
    log=print,
) -> dict:
    """Both configurations at once; returns {"role": {...}, "guide": {...}, ...}."""
    out: dict = {}
    log(
        f"bench: protection: {n_pollers} pollers x {duration:.0f} s, {inverters} inverters, "
        "role config and guide config side by side (loopback)"
    )
    threads = [
        threading.Thread(
            target=_run_one, args=(w, n_pollers, duration, inverters, timeout, idle, out)
        )
        for w in ("role", "guide")
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
    for which in ("role", "guide"):
        row = out[which]
        if "error" not in row:
            log(
                f"bench: protection {which}: peak {row['peak_concurrency']}, reached "
                f"{row['reached_pvs']}, client errors {row['clients']['error_count']}"
            )
    return out
