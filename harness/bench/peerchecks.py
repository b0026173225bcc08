"""Single checks through every peer, each in front of its own simulator (latency off):

- a write attempt (`Command=SetCellPurchased`): did it reach the PVS?
- gzip: DeviceList's bytes on the wire with and without `Accept-Encoding: gzip`;
- proxy overhead: Get_Comm direct to the simulator vs through the peer, in alternating
  blocks; every request carries a unique `n=` so that a peer caching every GET (varnish)
  has to ask the PVS too;
- the PVS down and back: the simulator refuses connections for `outage` seconds
  (`restarting`), clients keep asking; how long after the PVS answers again the peer
  serves an uncached request again, and whether DeviceList was answered meanwhile.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import threading
import time

from harness.bench import loopback, peers, stats, wire
from harness.bench.protection import runnable

DL = "/cgi-bin/dl_cgi?Command="
WRITE = DL + "SetCellPurchased"
DEVICE_LIST = DL + "DeviceList"
_counter = itertools.count()


def uncached(command: str = "Get_Comm") -> str:
    """A request no cache has seen: the command with a unique extra parameter."""
    return f"{DL}{command}&n={next(_counter)}"


def _get(host: str, port: int, path: str, timeout: float = 10.0) -> int | None:
    """Status of one GET on a fresh connection (None when it failed)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _timed(host: str, port: int, path: str) -> float | None:
    t0 = time.perf_counter()
    status = _get(host, port, path)
    return time.perf_counter() - t0 if status == 200 else None


def write_attempt(sim: loopback.Simulator, port: int) -> dict:
    sim.reset_counters()
    status = _get(loopback.LOOPBACK, port, WRITE)
    reached = sim.counters()["commands"].get("SetCellPurchased", 0)
    return {"status": status, "reached_pvs": reached > 0}


def gzip_ratio(port: int) -> dict:
    plain = wire.get(loopback.LOOPBACK, port, DEVICE_LIST)
    packed = wire.get(loopback.LOOPBACK, port, DEVICE_LIST, {"Accept-Encoding": "gzip"})
    if plain.status != 200 or packed.status != 200:
        return {"error": f"DeviceList answered HTTP {plain.status} / {packed.status}"}
    if len(packed.json()["devices"]) != len(plain.json()["devices"]):
        return {"error": "the gzipped DeviceList lists other devices"}
    return {
        "encoding": packed.encoding,
        "plain_wire_bytes": plain.wire_bytes,
        "gzip_wire_bytes": packed.wire_bytes,
        "saving_wire_pct": stats.saving(plain.wire_bytes, packed.wire_bytes),
    }


def overhead(pairs: dict, count: int, blocks: int = 5) -> dict:
    """pairs: {peer: (sim, port)}. Direct and through in alternating blocks, peer after
    peer, so background noise hits every path alike."""
    per_block = max(1, count // blocks)
    direct = {k: [] for k in pairs}
    through = {k: [] for k in pairs}
    errors = {k: {"direct": 0, "through": 0} for k in pairs}
    for sim, port in pairs.values():  # warm-up: connections, code paths
        for _ in range(10):
            _timed(loopback.LOOPBACK, sim.port, uncached())
            _timed(loopback.LOOPBACK, port, uncached())
    for _ in range(blocks):
        for k, (sim, port) in pairs.items():
            for side, target, sink in (("direct", sim.port, direct), ("through", port, through)):
                for _ in range(per_block):
                    seconds = _timed(loopback.LOOPBACK, target, uncached())
                    if seconds is None:
                        errors[k][side] += 1
                    else:
                        sink[k].append(seconds)
    out = {}
    for k in pairs:
        d, t = stats.summary(direct[k]), stats.summary(through[k])
        added = (
            {"added_p50": t["p50"] - d["p50"], "added_p99": t["p99"] - d["p99"]}
            if d["count"] and t["count"]
            else {"added_p50": None, "added_p99": None}
        )
        out[k] = {"direct": d, "through": t, "errors": errors[k], **added}
    return out


class _Prober:
    """Asks path() at 127.0.0.1:port every `interval` s in a thread, recording (start,
    end, ok) of each request until stopped."""

    def __init__(self, port: int, path, interval: float = 0.2):
        self.port, self.path, self.interval = port, path, interval
        self.samples: list[tuple[float, float, bool]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            t = time.monotonic()
            ok = _get(loopback.LOOPBACK, self.port, self.path(), timeout=5.0) == 200
            self.samples.append((t, time.monotonic(), ok))
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - t)))

    def start(self) -> _Prober:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def first_ok_after(self, t: float) -> float | None:
        """When the first request sent at or after t was answered (200)."""
        return next((end for start, end, ok in self.samples if start >= t and ok), None)

    def first_answer_after(self, t: float) -> float | None:
        """The first 200 that arrived at or after t, whenever its request was sent."""
        return min((end for _, end, ok in self.samples if end >= t and ok), default=None)


def outage_answers(samples: list[tuple[float, float, bool]], down: float, back: float) -> dict:
    """Of the requests sent while the PVS was down, how many were answered (200) before
    it was back (from a cache; a proxy that holds the request until the PVS is back does
    not count)."""
    sent = [(end, ok) for start, end, ok in samples if down <= start < back]
    return {"asked": len(sent), "answered": sum(1 for end, ok in sent if ok and end < back)}


def down_and_back(sim: loopback.Simulator, port: int, outage: float, wait: float) -> dict:
    """Take the simulator down for `outage` s; when is the peer serving again?"""
    _get(loopback.LOOPBACK, port, DEVICE_LIST, timeout=30)  # fill a cache that may exist
    direct = _Prober(sim.port, uncached).start()
    via_uncached = _Prober(port, uncached).start()
    via_devicelist = _Prober(port, lambda: DEVICE_LIST).start()
    probers = (direct, via_uncached, via_devicelist)
    try:
        time.sleep(1.0)
        t_down = time.monotonic()
        sim.fault("restarting", outage)
        deadline = t_down + outage + wait
        back = served = None
        while time.monotonic() < deadline:
            time.sleep(0.2)
            back = back or direct.first_ok_after(t_down + 0.5)
            if back is not None:
                served = via_uncached.first_answer_after(back)
                if served is not None:
                    break
    finally:
        for p in probers:
            p.stop()
    return {
        "outage": outage,
        "pvs_back_after": None if back is None else back - t_down,
        "served_after_pvs_back": None if served is None or back is None else served - back,
        "gave_up_after": wait,
        "devicelist_during_outage": outage_answers(
            via_devicelist.samples, t_down + 0.5, back or deadline
        ),
    }


def _down_one(k: str, sim, port: int, outage: float, wait: float, out: dict) -> None:
    try:
        out[k] = down_and_back(sim, port, outage, wait)
    except Exception as exc:  # noqa: BLE001 - reported in its row
        out[k] = {"error": f"{type(exc).__name__}: {exc}"}


# The idea section 7 proposes for the role's health check, measured in the same run:
# check a PVS that is down every 2 s and one coming back every 1 s (haproxy's downinter
# and fastinter; both default to inter, here 10 s).
FAST_CHECK = "fastinter 1s downinter 2s"


def fast_check_config(config: str) -> str | None:
    """The role's haproxy.cfg with FAST_CHECK added to the PVS server's health check (None
    when the configuration has no such check)."""
    lines = config.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if " check inter " in line]
    if len(hits) != 1 or "fastinter" in lines[hits[0]]:
        return None
    i = hits[0]
    lines[i] = lines[i].rstrip("\n") + f" {FAST_CHECK}\n"
    return "".join(lines)


def _down_tuned(inverters: int, outage: float, wait: float, out: dict) -> None:
    try:
        with loopback.Simulator(inverters=inverters, latency="none") as sim:
            config, port, _ = loopback.role_config(sim.port)
            if "fastinter" in config:
                return  # the idea is taken: the role's own row already measures it
            tuned = fast_check_config(config)
            if tuned is None:
                out["role_fast_check"] = {"error": "the role's config has no single check line"}
                return
            with loopback.Haproxy(tuned, port, label="role haproxy (fast check)"):
                out["role_fast_check"] = {
                    "change": FAST_CHECK,
                    **down_and_back(sim, port, outage, wait),
                }
    except Exception as exc:  # noqa: BLE001 - reported next to the table
        out["role_fast_check"] = {"error": f"{type(exc).__name__}: {exc}"}


def measure(
    peer_keys: tuple[str, ...] = peers.PEERS,
    inverters: int = 24,
    overhead_requests: int = 500,
    outage: float = 45.0,
    wait: float = 60.0,
    log=print,
) -> dict:
    out: dict = {"peers": list(peer_keys)}
    keys = runnable(peer_keys, out)
    log(f"bench: peer checks (write, gzip, overhead, PVS down {outage:.0f} s): {', '.join(keys)}")
    with contextlib.ExitStack() as stack:
        pairs = {}
        for k in keys:
            try:
                sim = stack.enter_context(loopback.Simulator(inverters=inverters, latency="none"))
                peer = stack.enter_context(peers.Peer(k, sim.port))
            except Exception as exc:  # noqa: BLE001
                out[k] = {"label": peers.LABELS[k], "error": f"{type(exc).__name__}: {exc}"}
                continue
            pairs[k] = (sim, peer.port)
            out[k] = {"label": peers.LABELS[k], "version": peer.version()}
        for k, (sim, port) in pairs.items():
            out[k]["write"] = write_attempt(sim, port)
            try:
                out[k]["gzip"] = gzip_ratio(port)
            except (OSError, ValueError) as exc:
                out[k]["gzip"] = {"error": f"{type(exc).__name__}: {exc}"}
        for k, row in overhead(pairs, overhead_requests).items():
            out[k]["overhead"] = row
        downs: dict = {}
        threads = [
            threading.Thread(target=_down_one, args=(k, sim, port, outage, wait, downs))
            for k, (sim, port) in pairs.items()
        ]
        if "role" in pairs:
            threads.append(
                threading.Thread(target=_down_tuned, args=(inverters, outage, wait, downs))
            )
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for k, row in downs.items():
            if k in out:
                out[k]["down"] = row
        if "role_fast_check" in downs:
            out["role"]["down_fast_check"] = downs["role_fast_check"]
    out["settings"] = {
        "inverters": inverters,
        "overhead_requests": overhead_requests,
        "outage": outage,
        "wait": wait,
    }
    return out
