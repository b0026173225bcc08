"""Item 6, long run: haproxy's memory once its cache has cycled through all its space.

haproxy's cache is a ring of shared-memory blocks: each new object takes blocks that have
not been used yet until the whole `total-max-size` has been written once, so the worker's
resident memory grows by the cache size over the first hours (at the role's TTL) and then
stays. This part makes that happen in a minute: the role's configuration with a 1 s TTL,
a 200-inverter PVS (100 kB DeviceList), the cacheable commands asked in a loop, haproxy
as master + worker (`-Ws`, as under systemd) on 127.0.0.1, until the worker's shared
memory stops growing. Once with the role's cache size, once with each alternative size.
"""

from __future__ import annotations

import time
from pathlib import Path

from bridge_cli.errors import BridgeFailure
from harness.bench import loopback, procstat, wire
from harness.local_haproxy import LocalHaproxy
from harness.proxy_config import role_defaults

CACHEABLE = (
    "/cgi-bin/dl_cgi?Command=DeviceList",
    "/cgi-bin/dl_cgi/devices/list",
    "/cgi-bin/dl_cgi?Command=GridProfileGet",
    "/cgi-bin/dl_cgi?Command=CheckFW",
    "/cgi-bin/dl_cgi?Command=GetCellPurchased",
    "/cgi-bin/dl_cgi/supervisor/info",
)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _snapshot(master: int, worker: int) -> dict:
    out = {}
    for role, pid in (("master", master), ("worker", worker)):
        detail = procstat.rss_detail(pid)
        out[role] = {"rss_kb": procstat.sample(pid).rss_kb, **detail}
    out["rss_kb"] = out["master"]["rss_kb"] + out["worker"]["rss_kb"]
    out["pss_kb"] = out["master"].get("Pss", 0) + out["worker"].get("Pss", 0)
    return out


def fill_one(cache_mb: int | None, max_seconds: float = 120.0, inverters: int = 200) -> dict:
    """Cycle the cache of one master-worker haproxy; memory before and after."""
    overrides: dict = {"bridge_proxy_cache_ttl": 1}
    if cache_mb is not None:
        overrides["bridge_proxy_cache_total_max_size_mb"] = cache_mb
        overrides["bridge_proxy_cache_max_object_size"] = min(
            int(role_defaults()["bridge_proxy_cache_max_object_size"]), cache_mb * 1048576 // 4
        )
    size_mb = cache_mb or int(role_defaults()["bridge_proxy_cache_total_max_size_mb"])
    with loopback.Simulator(inverters=inverters, latency="none") as sim:
        config, port, _ = loopback.role_config(sim.port, overrides)
        listen = [(loopback.LOOPBACK, port)]
        with LocalHaproxy(config, listen, label="haproxy -Ws", mode="-Ws") as haproxy:
            workers = _children(haproxy.pid)
            if len(workers) != 1:
                raise BridgeFailure(f"haproxy -Ws: expected one worker, found {workers}")
            before = _snapshot(haproxy.pid, workers[0])
            requests, start, last_shm, still = 0, time.monotonic(), -1, 0
            while time.monotonic() - start < max_seconds:
                for path in CACHEABLE:
                    wire.get(loopback.LOOPBACK, port, path)
                    requests += 1
                shm = procstat.rss_detail(workers[0]).get("RssShmem", 0)
                still = still + 1 if shm == last_shm else 0
                last_shm = shm
                if shm >= size_mb * 1024 * 0.98 or still >= 40:
                    break
                time.sleep(0.05)
            after = _snapshot(haproxy.pid, workers[0])
            seconds = time.monotonic() - start
    return {
        "cache_mb": size_mb,
        "default": cache_mb is None,
        "before": before,
        "after": after,
        "requests": requests,
        "seconds": seconds,
    }


def measure(alternatives: tuple[int, ...] = (1,), with_default: bool = True,
            max_seconds: float = 120.0, log=print) -> dict:  # fmt: skip
    """The role's cache size (unless not with_default), then each alternative size."""
    rows = [fill_one(None, max_seconds)] if with_default else []
    rows += [fill_one(mb, max_seconds) for mb in alternatives]
    for row in rows:
        log(
            f"bench: cache {row['cache_mb']} MB cycled: worker RSS "
            f"{row['before']['worker']['rss_kb']} -> {row['after']['worker']['rss_kb']} kB"
        )
    return {"rows": rows}
