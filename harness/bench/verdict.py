"""Which proxy does better on which figure (pure: results in, rows out; unit-tested).

Every figure of one run is read per peer (`figures`), then each peer is compared with
pvs-bridge (the role's haproxy) figure by figure with a margin, so that noise of a few
milliseconds or a few hundred kB does not count as a win (`compare`). Where a peer wins,
IDEAS says whether pvs-bridge takes the idea or why not.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    lower_is_better: bool
    margin: float  # a difference smaller than this is noise
    relative: float = 0.0  # ... or smaller than this share of pvs-bridge's value
    group: str = ""  # which idea answers a win


METRICS = (
    Metric("a_peak", "DeviceList x20: peak concurrency at the PVS", True, 1, group="peak"),
    Metric("a_reached", "DeviceList x20: requests reaching the PVS", True, 1, group="reached"),
    Metric("a_errors", "DeviceList x20: client errors", True, 1, group="errors"),
    Metric("a_p50", "DeviceList x20: client p50", True, 0.05, 0.2, "latency"),
    Metric("a_p99", "DeviceList x20: client p99", True, 0.05, 0.2, "latency"),
    Metric("m_peak", "mixed: peak concurrency at the PVS", True, 1, group="peak"),
    Metric("m_reached", "mixed: requests reaching the PVS", True, 1, group="reached"),
    Metric("m_errors", "mixed: client errors", True, 1, group="errors"),
    Metric("m_p50", "mixed: client p50", True, 0.05, 0.2, "latency"),
    Metric("m_p99", "mixed: client p99", True, 0.05, 0.2, "latency"),
    Metric("write", "write attempt reached the PVS", True, 1, group="write"),
    Metric("overhead_p50", "added latency p50 (uncached)", True, 0.0002, 0.2, "overhead"),
    Metric("overhead_p99", "added latency p99 (uncached)", True, 0.001, 0.2, "overhead"),
    Metric("gzip", "DeviceList smaller on the wire (%)", False, 2.0, group="gzip"),
    Metric("rss_kb", "RSS under load (kB)", True, 512, 0.1, "memory"),
    Metric("pss_kb", "PSS under load (kB)", True, 512, 0.1, "memory"),
    Metric("recovery", "served again after the PVS is back (s)", True, 1.0, group="recovery"),
    Metric("outage_served", "DeviceList answered during the outage (%)", False, 10.0,
           group="outage"),
)  # fmt: skip
BY_KEY = {m.key: m for m in METRICS}

# What pvs-bridge does about a peer's win: take the idea, or why not.
IDEAS: dict[str, str] = {
    "reached": "varnish keeps every GET (Start, Stop, Get_Comm too) 600 s, so fewer "
    "requests reach the PVS; not taken: the role caches only the read commands whose "
    "answers stay valid (120 s), since stale Get_Comm/Start answers mislead clients and a "
    "cached write hides what the PVS did. Taken already: merged misses (the serial queue "
    "looks in the cache again, one PVS request per TTL, as varnish's waiting list does)",
    "peak": "taken already: maxconn 1 (one request at a time at the PVS)",
    "errors": "the role queues instead of failing; a peer with fewer errors here answers "
    "from a longer cache; see 'reached'",
    "latency": "a peer answering faster here answers from a longer-lived cache (varnish: "
    "600 s for every GET) or does not queue; not taken: the queue is what keeps the PVS "
    "at one request at a time",
    "write": "never taken: the role's read-only guard refuses writes",
    "overhead": "the role's read-only guard and queue cost a few ACLs and a hop through "
    "an internal socket per request; kept: sub-millisecond, and they protect the PVS",
    "gzip": "taken already: gzip of the PVS's text",
    "memory": "the role's 1 MB cache and the serial hop cost memory; kept: the cache is "
    "what protects the PVS (bridge_proxy_cache_total_max_size_mb can shrink it)",
    "recovery": "the role health-checks the PVS with a cheap HTTP read; a PVS that stops "
    "answering is taken out of service after two failed checks and, once it answers again, "
    "is seen at the next check (`fastinter 1s downinter 2s`: idea taken from an earlier "
    "run of this benchmark, which measured 16 s with haproxy's defaults), while a proxy "
    "without checks forwards at once but makes every reader wait out a hung PVS",
    "outage": "varnish keeps DeviceList 600 s and so answers it through a PVS restart; "
    "the role's 120 s cache answers it only within 120 s of the last fetch. Idea: serve "
    "stale answers while the PVS is down (varnish's grace); haproxy 2.6's cache has no "
    "stale-if-error, so not taken",
}

# What each one does better that the figures do not show (from its configuration).
FEATURES: dict[str, str] = {
    "role": "refuses writes (read-only guard); one request at a time at the PVS with a "
    "queue; one PVS request per TTL for any number of pollers; gzip; stats page and "
    "Prometheus metrics; HTTPS (443) and WebSocket (9002) passed through for 2025 firmware",
    "guide": "the shortest haproxy configuration; gzip; a stats page (with admin actions "
    "for localhost)",
    "varnish": "merges concurrent misses natively; keeps every answer 600 s, through PVS "
    "restarts too; refuses HEAD (405)",
    "nginx": "a client allowlist (allow/deny): only listed addresses reach the PVS; the "
    "WebSocket proxied as HTTP with Upgrade headers (the handshake is visible in its "
    "logs). Idea for pvs-bridge: an optional client allowlist (not in the role yet)",
    "caddy": "a four-line configuration; structured JSON logs",
}


def _get(d: dict | None, *path):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def _non_negative(added: float | None) -> float | None:
    """Added latency cannot be negative: a negative difference of two percentiles is the
    noise of the direct path (the simulator), so it is compared as 0."""
    return None if added is None else max(0.0, added)


def figures(results: dict) -> dict[str, dict]:
    """{peer: {metric key: value or None}} from one run's results."""
    prot = results.get("protection") or {}
    mixed = results.get("mixed") or {}
    checks = results.get("peerchecks") or {}
    keys = prot.get("peers") or mixed.get("peers") or checks.get("peers") or ["role", "guide"]
    out = {}
    for k in keys:
        a, m, c = prot.get(k) or {}, mixed.get(k) or {}, checks.get(k) or {}
        write = _get(c, "write", "reached_pvs")
        down = _get(c, "down", "devicelist_during_outage") or {}
        detail = _get(a, "footprint", "rss_detail") or {}
        out[k] = {
            "a_peak": a.get("peak_concurrency"),
            "a_reached": a.get("reached_pvs"),
            "a_errors": _get(a, "clients", "error_count"),
            "a_p50": _get(a, "clients", "latency", "p50"),
            "a_p99": _get(a, "clients", "latency", "p99"),
            "m_peak": m.get("peak_concurrency"),
            "m_reached": m.get("reached_pvs"),
            "m_errors": _get(m, "clients", "error_count"),
            "m_p50": _get(m, "clients", "latency", "p50"),
            "m_p99": _get(m, "clients", "latency", "p99"),
            "write": None if write is None else int(bool(write)),
            "overhead_p50": _non_negative(_get(c, "overhead", "added_p50")),
            "overhead_p99": _non_negative(_get(c, "overhead", "added_p99")),
            "gzip": _get(c, "gzip", "saving_wire_pct"),
            "rss_kb": _get(a, "footprint", "load", "peak_rss_kb"),
            "pss_kb": detail.get("Pss"),
            "recovery": _get(c, "down", "served_after_pvs_back"),
            "outage_served": (
                100.0 * down["answered"] / down["asked"] if down.get("asked") else None
            ),
        }
    return out


def better(metric: Metric, peer: float | None, ours: float | None) -> bool:
    """Is the peer's value better than pvs-bridge's by more than the noise margin?"""
    if peer is None:
        return False
    if ours is None:  # pvs-bridge has no figure (e.g. never served again): any figure wins
        return metric.key == "recovery"
    diff = (ours - peer) if metric.lower_is_better else (peer - ours)
    return diff >= max(metric.margin, metric.relative * abs(ours))


def compare(figs: dict[str, dict], ours: str = "role") -> dict[str, list[str]]:
    """{peer: [metric keys where it beats pvs-bridge]}, and {ours: [keys where pvs-bridge
    beats every peer that has the figure]}."""
    mine = figs.get(ours, {})
    out: dict[str, list[str]] = {}
    for peer, values in figs.items():
        if peer == ours:
            continue
        out[peer] = [m.key for m in METRICS if better(m, values.get(m.key), mine.get(m.key))]
    others = [p for p in figs if p != ours]
    out[ours] = [
        m.key
        for m in METRICS
        if mine.get(m.key) is not None
        and any(figs[p].get(m.key) is not None for p in others)
        and all(
            better(m, mine[m.key], figs[p].get(m.key))
            for p in others
            if figs[p].get(m.key) is not None
        )
    ]
    return out


def ideas_for(keys: list[str]) -> list[str]:
    """The answers to a peer's wins, one per idea group, in METRICS order."""
    seen, out = set(), []
    for key in keys:
        group = BY_KEY[key].group
        if group not in seen:
            seen.add(group)
            text = IDEAS[group]
            out.append(text[:1].upper() + text[1:])
    return out
