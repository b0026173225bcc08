"""Section 7 of BENCHMARKS.md: pvs-bridge against what owners run instead (pure)."""

from __future__ import annotations

from harness.bench import verdict
from harness.bench.peerconf import LABELS, SOURCES
from harness.bench.stats import ms, secs


def _mb(kb) -> str:
    return "-" if kb is None else f"{kb / 1024:.1f} MB"


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def _fmt(key: str, value) -> str:
    if value is None:
        return "-"
    if key in ("a_p50", "a_p99", "m_p50", "m_p99"):
        return secs(value, 3 if value < 1 else 1)
    if key.startswith("overhead"):
        return ms(value)
    if key in ("rss_kb", "pss_kb"):
        return _mb(value)
    if key == "recovery":
        return secs(value, 1)
    if key in ("gzip", "outage_served"):
        return f"{value:.0f} %"
    if key == "write":
        return "yes" if value else "no"
    return str(value)


def _state(row: dict) -> str | None:
    if not row:
        return "not run"
    if "skipped" in row:
        return f"not run: {row['skipped']}"
    return row.get("error")


def _mixed(results: dict) -> list[str]:
    m = results.get("mixed")
    lines = ["### The mixed workload of today's clients", ""]
    if not m or "error" in m:
        return [*lines, f"Not measured: {(m or {}).get('error', 'not run')}", ""]
    s = m["settings"]
    lines += [
        f"{s['legacy']} legacy pollers (a Home Assistant integration, a script) each read "
        "DeviceList and then `/cgi-bin/dl_cgi/energy-storage-system/status` every 120 s; "
        f"{s['exporters']} Prometheus exporter(s) scrape Start, Get_Comm, GridProfileGet, "
        f"DeviceList and Stop one after the other every 30 s; {s['duration']:.0f} s, the "
        f"same seeded schedule for every proxy ({s['requests_planned']} requests each), a "
        f"simulator with {s['inverters']} inverters and SunVault devices at realistic "
        "latency behind each, all proxies at the same time.",
        "",
    ]
    rows = []
    for k in m.get("peers", []):
        row = m.get(k, {})
        state = _state(row)
        if state:
            rows.append([LABELS.get(k, k), state, "", "", "", "", ""])
            continue
        cl = row["clients"]
        errs = ", ".join(f"{e}: {n}" for e, n in sorted(cl["errors"].items())) or "none"
        rows.append(
            [
                LABELS.get(k, k),
                row["peak_concurrency"],
                row["reached_pvs"],
                ", ".join(f"{c} {n}" for c, n in sorted(row["reached_by_command"].items())),
                errs,
                _fmt("m_p50", cl["latency"]["p50"]),
                _fmt("m_p99", cl["latency"]["p99"]),
            ]
        )
    return lines + _table(
        ["Proxy", "Peak concurrency at the PVS", "Requests that reached the PVS",
         "Reached, by command", "Client errors", "Client p50", "Client p99"],
        rows,
    )  # fmt: skip


def _checks(results: dict) -> list[str]:
    c = results.get("peerchecks")
    prot = results.get("protection") or {}
    lines = ["### Writes, overhead, gzip, memory, the PVS down and back", ""]
    if not c or "error" in c:
        return [*lines, f"Not measured: {(c or {}).get('error', 'not run')}", ""]
    s = c["settings"]
    lines += [
        "Each proxy in front of its own simulator (latency off, "
        f"{s['inverters']} inverters). Write: one `GET /cgi-bin/dl_cgi?Command="
        "SetCellPurchased`, reached = the simulator counted it. Overhead: "
        f"{s['overhead_requests']} Get_Comm each way, direct to the simulator and through "
        "the proxy in alternating blocks, a unique `n=` per request so that no cache "
        "answers it (varnish keeps every GET). gzip: DeviceList's bytes on the wire with "
        "and without `Accept-Encoding: gzip`. Memory: the proxy's whole process tree "
        "(nginx master + workers, varnish manager + cache child) during the 20-poller run "
        f"of section 3. Down and back: the simulator refuses connections for "
        f"{s['outage']:.0f} s (a restarting PVS) while clients ask every 0.2 s; "
        "'served again' is from the PVS answering again to the proxy answering an "
        "uncached Get_Comm again; 'DeviceList during the outage': of the DeviceList "
        "requests sent while the PVS was down, how many were answered before it was back "
        "(from a cache).",
        "",
    ]
    rows = []
    for k in c.get("peers", []):
        row = c.get(k, {})
        state = _state(row)
        if state:
            rows.append([LABELS.get(k, k), state, "", "", "", "", "", ""])
            continue
        fp = (prot.get(k) or {}).get("footprint") or {}
        detail = fp.get("rss_detail") or {}
        o, g, d = row.get("overhead", {}), row.get("gzip", {}), row.get("down", {})
        w = row.get("write", {})
        during = d.get("devicelist_during_outage") or {}
        served = d.get("served_after_pvs_back")
        rows.append(
            [
                LABELS.get(k, k),
                ("**yes**" if w.get("reached_pvs") else "no") + f" (HTTP {w.get('status')})",
                f"{ms(o.get('added_p50'))} / {ms(o.get('added_p99'))}",
                "-" if "saving_wire_pct" not in g else f"{g['saving_wire_pct']:.1f} %",
                f"{_mb((fp.get('load') or {}).get('peak_rss_kb'))} / {_mb(detail.get('Pss'))}"
                + (f" ({row_processes(prot.get(k))})" if prot.get(k) else ""),
                secs(served, 1)
                if served is not None
                else (d.get("error") or f"not within {secs(d.get('gave_up_after'), 0)}"),
                f"{during.get('answered', 0)} of {during.get('asked', 0)}" if during else "-",
                row.get("version", ""),
            ]
        )
    fast = (c.get("role") or {}).get("down_fast_check")
    note = []
    if fast and "error" in fast:
        note = [f"The role with a faster health check was not measured: {fast['error']}", ""]
    elif fast:
        served = fast.get("served_after_pvs_back")
        note = [
            f"The same outage, same run, through the role's haproxy with `{fast['change']}` "
            "added to its health check (the idea answering the 'served again' column): "
            + (
                f"served again {secs(served, 1)} after the PVS was back"
                if served is not None
                else f"not served again within {secs(fast.get('gave_up_after'), 0)}"
            )
            + ".",
            "",
        ]
    return lines + _table(
        ["Proxy", "Write reached the PVS", "Added p50 / p99", "DeviceList gzip smaller",
         "RSS / PSS under load", "Served again after the PVS is back",
         "DeviceList during the outage", "Version"],
        rows,
    ) + note  # fmt: skip


def row_processes(row: dict | None) -> str:
    n = (row or {}).get("processes")
    return "" if not n else f"{n} process" + ("es" if n > 1 else "")


def _better(results: dict) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    figs = verdict.figures(results)
    wins = verdict.compare(figs)
    lines = [
        "### What each does better",
        "",
        "A peer 'does better' on a figure of this run when it beats pvs-bridge by more "
        "than the noise margin of harness/bench/verdict.py (1 request or error; 20 % "
        "and 50 ms of client latency; 20 % and 0.2/1 ms of added latency; 10 % and "
        "0.5 MB of memory; 1 s of recovery; 2 points of gzip; 10 points of outage answers). "
        "Every figure compared comes from the same run, so a slower or busier machine "
        "moves every proxy alike.",
        "",
    ]
    rows, summary = [], []
    ours = wins.get("role", [])
    for k in figs:
        mine = wins.get(k, [])
        if k == "role":
            measured = "; ".join(verdict.BY_KEY[m].label for m in ours) or "-"
            rows.append([f"**{LABELS[k]}**", f"better than every peer on: {measured}",
                         verdict.FEATURES[k], "-"])  # fmt: skip
            continue
        measured = "; ".join(
            f"{verdict.BY_KEY[m].label}: {_fmt(m, figs[k][m])} vs {_fmt(m, figs['role'].get(m))}"
            for m in mine
        )
        rows.append(
            [
                LABELS.get(k, k),
                f"**{measured}**" if measured else "nothing measured here",
                verdict.FEATURES.get(k, ""),
                " ".join(f"{i}." for i in verdict.ideas_for(mine)) or "-",
            ]
        )
        summary.append(
            (
                f"7. pvs-bridge vs {LABELS.get(k, k)}",
                f"{LABELS.get(k, k)} better on {len(mine)} figure(s)" if mine else "-",
                "no figure where it does better",
                "met" if not mine else f"**{k} better** on {len(mine)}: ideas in section 7",
            )
        )
    lines += _table(
        ["Proxy", "Does better than pvs-bridge in this run (peer vs pvs-bridge)",
         "Also (from its configuration)", "pvs-bridge: idea taken, or why not"],
        rows,
    )  # fmt: skip
    return lines, summary


def _sources() -> list[str]:
    rows = [[LABELS[k], src.where, src.described, src.changed] for k, src in SOURCES.items()]
    return [
        "Sources of each configuration (written from their descriptions; the full method "
        "in docs/benchmarks.md):",
        "",
        *_table(["Proxy", "Source", "What it configures", "Changed for the bench"], rows),
    ]


def section(results: dict) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    """The section's lines, and its rows for the summary table."""
    lines = [
        "## 7. Against what owners run instead",
        "",
        "The same workloads through every proxy an owner might put in front of a PVS, in "
        "one run: the 20 DeviceList pollers of section 3 (its table has every proxy), the "
        "mixed workload below, and single checks. Each proxy runs from its Debian package, "
        "unprivileged on free 127.0.0.1 ports, with a simulator of its own.",
        "",
    ]
    lines += _sources()
    lines += _mixed(results)
    lines += _checks(results)
    better, summary = _better(results)
    return lines + better, summary
