"""BENCHMARKS.md from the results of one run (pure: a dict in, markdown out)."""

from __future__ import annotations

import math

from harness.bench import newfwreport, peerreport
from harness.bench.stats import ms, secs

TARGETS = {
    "added_p50": 0.001,
    "added_p99": 0.005,
    "saving_pct": 85.0,
    "peak": 1,
    "rerun_seconds": 30.0,
    "rss_kb": 20 * 1024,
    "doctor_healthy": 2.0,
    "doctor_unreachable": 5.0,
}


PROTECTION_LABELS = {"role": "pvs-bridge role (defaults)", "guide": "guide's original config"}


def _mb(kb: int | None) -> str:
    return "-" if kb is None else f"{kb / 1024:.1f} MB"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


def _cpu(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} % of a core"


def _pss(processes: list[dict]) -> int | None:
    values = [p["detail"].get("Pss") for p in processes]
    return None if not values or None in values else sum(values)


def _verdict(ok: bool, missed: str = "") -> str:
    return "met" if ok else f"**missed** {missed}".rstrip()


def _error(section: dict | None) -> str | None:
    if section is None:
        return "not run"
    return section.get("error")


class Report:
    def __init__(self, results: dict):
        self.r = results
        self.lines: list[str] = []
        self.summary: list[tuple[str, str, str, str]] = []  # item, measured, target, verdict

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.add("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        for row in rows:
            self.add("| " + " | ".join(str(c) for c in row) + " |")
        self.add("")

    # ---- sections ---------------------------------------------------------------------
    def machine(self) -> None:
        m = self.r["machine"]
        self.add("## Machine", "")
        self.table(
            ["Fact", "Value"],
            [
                ["CPU", f"{m['cpu']} ({m['cores']} cores)"],
                ["Memory", f"{m['memory_mb']} MB"],
                ["OS / kernel", f"{m['os']} / {m['kernel']}"],
                ["haproxy (loopback parts)", m["haproxy"]],
                ["Python / Ansible", f"{m['python']} / {m['ansible']}"],
                [
                    "Load average (1/5/15 min) at start / end",
                    f"{m['load_start']} / {m.get('load_end', '-')}",
                ],
            ],
        )

    def overhead(self) -> None:
        o = self.r.get("lab", {}).get("overhead")
        self.add("## 1. Proxy overhead", "")
        if _error(o):
            self.add(f"Not measured: {_error(o)}", "")
            self.summary.append(
                ("1. Proxy overhead", "not measured", "p50 < 1 ms, p99 < 5 ms", "-")
            )
            return
        d, t = o["direct"], o["through"]
        self.add(
            f"`{o['path']}` (not cached by the role, so every request reaches the PVS), "
            f"{d['count']} requests each way, one new TCP connection per request, simulator "
            f"latency off, in blocks alternating direct / through. Direct: a client in the "
            f"bridge's network namespace (the booted guest's own) to the PVS at "
            f"172.27.153.1:80. Through: a client in the home namespace to the bridge's "
            f"wlan0 address, through haproxy.",
            "",
        )
        self.table(
            ["Path", "p50", "p99", "min", "max", "errors"],
            [
                [
                    "direct (bridge -> PVS)",
                    ms(d["p50"]),
                    ms(d["p99"]),
                    ms(d["min"]),
                    ms(d["max"]),
                    o["errors"]["direct"],
                ],
                [
                    "through haproxy (home -> bridge -> PVS)",
                    ms(t["p50"]),
                    ms(t["p99"]),
                    ms(t["min"]),
                    ms(t["max"]),
                    o["errors"]["through"],
                ],
                [
                    "**added by the bridge**",
                    f"**{ms(o['added_p50'])}**",
                    f"**{ms(o['added_p99'])}**",
                    "",
                    "",
                    "",
                ],
            ],
        )
        self.add(
            f"Get_Comm requests counted by the simulator during the runs: "
            f"{o['reached_pvs']} (all of them reached the PVS).",
            "",
        )
        ok50 = o["added_p50"] < TARGETS["added_p50"]
        ok99 = o["added_p99"] < TARGETS["added_p99"]
        self.summary.append(
            (
                "1. Proxy overhead (added p50 / p99)",
                f"{ms(o['added_p50'])} / {ms(o['added_p99'])}",
                "< 1 ms / < 5 ms",
                _verdict(
                    ok50 and ok99,
                    ""
                    if ok50 and ok99
                    else f"by {ms(max(o['added_p50'] - TARGETS['added_p50'], 0))} / "
                    f"{ms(max(o['added_p99'] - TARGETS['added_p99'], 0))}",
                ),
            )
        )

    def compression(self) -> None:
        c = self.r.get("compression")
        self.add("## 2. Compression", "")
        if _error(c):
            self.add(f"Not measured: {_error(c)}", "")
            self.summary.append(("2. Compression", "not measured", ">= 85 % smaller", "-"))
            return
        self.add(
            "DeviceList through the role's haproxy configuration (rendered from the role's "
            "template by `harness.proxy_config`, real haproxy on 127.0.0.1, real "
            "simulator behind it). Wire bytes are everything received on the socket "
            "(status line, headers, chunk framing, body); the gzipped answer was "
            "decompressed and checked to be the same device list.",
            "",
        )
        rows = []
        worst = None
        for row in c["rows"]:
            rows.append(
                [
                    row["inverters"],
                    row["devices"],
                    row["plain_wire_bytes"],
                    row["gzip_wire_bytes"],
                    _pct(row["saving_wire_pct"]),
                    f"{row['plain_body_bytes']} -> {row['gzip_body_bytes']}",
                    _pct(row["saving_body_pct"]),
                ]
            )
            worst = row["saving_wire_pct"] if worst is None else min(worst, row["saving_wire_pct"])
        self.table(
            [
                "Inverters",
                "Devices",
                "Plain (wire bytes)",
                "gzip (wire bytes)",
                "Smaller on the wire",
                "Body bytes plain -> gzip",
                "Body smaller",
            ],
            rows,
        )
        ok = worst is not None and worst >= TARGETS["saving_pct"]
        self.summary.append(
            (
                "2. Compression (DeviceList, worst case)",
                _pct(worst),
                ">= 85 % smaller",
                _verdict(ok, f"by {TARGETS['saving_pct'] - (worst or 0):.1f} points"),
            )
        )

    def protection(self) -> None:
        p = self.r.get("protection")
        self.add("## 3. Protection of the PVS", "")
        if _error(p):
            self.add(f"Not measured: {_error(p)}", "")
            self.summary.append(("3. Protection", "not measured", "peak 1, no errors", "-"))
            return
        s = p["settings"]
        self.add(
            f"{s['pollers']} pollers, each asking for DeviceList once a second for "
            f"{s['duration']:.0f} s (each from a loopback address of its own, new connection per "
            "request, `Accept-Encoding: gzip`, "
            f"client timeout {s['client_timeout']:.0f} s), against a simulator with "
            f"{s['inverters']} inverters at realistic latency (one DeviceList takes "
            f"{s['devicelist_seconds']:.1f} s and PLC scans run one at a time, as on a PVS). "
            "Every proxy ran at the same time, each with its own simulator on 127.0.0.1: "
            "the role's haproxy and the guide's (same haproxy 2.6 as bookworm, same "
            "configuration text as the role installs) and the peers of section 7 "
            "(varnish, nginx, Caddy from their Debian packages, configured as their "
            "sources describe; docs/benchmarks.md). Counters are the simulator's own "
            "(`/_sim/counters`, reset after the proxy started).",
            "",
        )
        rows = []
        for which in p.get("peers") or ("role", "guide"):
            label = PROTECTION_LABELS.get(which) or p.get(which, {}).get("label", which)
            row = p.get(which, {})
            if "skipped" in row:
                rows.append([label, f"not run: {row['skipped']}", "", "", "", "", ""])
                continue
            if "error" in row:
                rows.append([label, f"failed: {row['error']}", "", "", "", "", ""])
                continue
            cl = row["clients"]
            errs = ", ".join(f"{k}: {v}" for k, v in sorted(cl["errors"].items())) or "none"
            rows.append(
                [
                    label,
                    row["peak_concurrency"],
                    row["reached_pvs"],
                    cl["requests"],
                    errs,
                    secs(cl["latency"]["p50"], 3),
                    secs(cl["latency"]["p99"], 1),
                ]
            )
        self.table(
            [
                "Config",
                "Peak concurrency at the PVS",
                "Requests that reached the PVS",
                "Client requests",
                "Client errors",
                "Client p50",
                "Client p99",
            ],
            rows,
        )
        role = p.get("role", {})
        if "error" in role:
            self.summary.append(("3. Protection", "failed", "peak 1, no errors", "-"))
            return
        target = s["target_reached"]
        self.add(
            f"Target for requests reaching the PVS: one per cache TTL ({s['cache_ttl']} s) "
            f"plus a handful = {target} in {s['duration']:.0f} s.",
            "",
        )
        peak_ok = role["peak_concurrency"] <= TARGETS["peak"]
        reached_ok = role["reached_pvs"] <= target
        errors_ok = role["clients"]["error_count"] == 0
        self.summary.append(
            (
                "3a. Peak concurrency at the PVS",
                str(role["peak_concurrency"]),
                "1",
                _verdict(peak_ok, f"by {role['peak_concurrency'] - 1}"),
            )
        )
        self.summary.append(
            (
                "3b. Requests reaching the PVS",
                str(role["reached_pvs"]),
                f"<= {target}",
                _verdict(
                    reached_ok,
                    f"by {role['reached_pvs'] - target} "
                    f"({role['reached_pvs'] / max(target, 1):.1f}x)",
                ),
            )
        )
        self.summary.append(
            (
                "3c. Client errors",
                str(role["clients"]["error_count"]),
                "0",
                _verdict(errors_ok, f"by {role['clients']['error_count']}"),
            )
        )
        if not reached_ok or not errors_ok:
            self.add(*self._protection_why(role, s), "")

    @staticmethod
    def _protection_why(role: dict, s: dict) -> list[str]:
        scan = s["devicelist_seconds"]
        n = s["pollers"]
        herd = min(n, math.ceil(n * scan))  # pollers asking once a second during one scan
        queue = (n - 1) * scan
        p99 = role["clients"]["latency"]["p99"]
        errors = role["clients"]["error_count"]
        return [
            "Why the role's row misses: haproxy's cache has no request collapsing (no "
            '"cache lock"; haproxy issue #214). A request that misses the cache while the '
            "PVS is busy with the scan that will fill it cannot wait for that answer: it "
            "queues for a scan of its own. At the start every poller's first request misses "
            f"the empty cache, so the PVS scans {n} times back to back ({n} x {scan:.1f} s = "
            f"{n * scan:.0f} s; the last poller waits about {queue:.0f} s in the queue, "
            f"client p99 {secs(p99)}). The same happens whenever the cached DeviceList "
            f"expires: every poller that asks during the refreshing {scan:.1f} s scan (up to "
            f"{herd} here) queues for a scan of its own, so the PVS gets bursts of up to "
            f"{herd} scans back to back once per TTL plus the burst's length, instead of one "
            "scan per TTL. `maxconn 1` holds throughout (never more than one request at the "
            "PVS)"
            + (
                f", and the queue absorbed it without errors only because "
                f"{queue:.0f} s stayed within `timeout queue`."
                if errors == 0
                else f"; {errors} requests waited longer than `timeout queue` and got 503."
            ),
        ]

    def provisioning(self) -> None:
        lab = self.r.get("lab", {})
        releases = lab.get("releases") or {}
        self.add("## 4. Provisioning", "")
        if _error(lab) or not releases:
            self.add(f"Not measured: {_error(lab) or 'no lab flavour ran'}", "")
            self.summary.append(("4. Re-run (changed=0)", "not measured", "< 30 s", "-"))
            return
        self.add(
            "`playbooks/site.yml` against a freshly booted lab bridge of each flavour (`bridge-"
            "cli lab up`, then the same ansible-playbook call as `bridge-cli lab provision`), "
            "then again at once. Task counts and times from a small callback plugin "
            "(harness/bench/callback_plugins/bench_timer.py) next to the normal output. "
            "Fact gathering counts the play's `setup` and the roles' `service_facts` / "
            "`package_facts` tasks; the project's ansible.cfg caches facts (`gathering = "
            "smart`), so a re-run within the cache's hour skips the play's `setup`.",
            "",
        )
        rows = []
        worst = None
        for rel, data in releases.items():
            if "error" in data and "converge" not in data:
                rows.append([rel, f"failed: {data['error']}", "", "", "", "", "", ""])
                continue
            c, rr = data.get("converge", {}), data.get("rerun", {})
            rows.append(
                [
                    rel,
                    secs(data.get("up")),
                    secs(c.get("wall")),
                    f"{c.get('tasks', '-')} ({c.get('changed', '-')} changed)",
                    secs(rr.get("wall")),
                    f"{rr.get('tasks', '-')} ({rr.get('changed', '-')} changed)",
                    f"{secs(rr.get('facts_seconds'))} ({_pct(rr.get('facts_share_pct'))}); "
                    + (
                        "setup ran"
                        if rr.get("play_facts_gathered")
                        else "setup skipped (fact cache)"
                    ),
                    "ok"
                    if c.get("returncode") == 0 and rr.get("returncode") == 0
                    else f"exit {c.get('returncode')}/{rr.get('returncode')}",
                ]
            )
            if rr.get("wall") is not None:
                worst = rr["wall"] if worst is None else max(worst, rr["wall"])
        self.table(
            [
                "Flavour",
                "lab up",
                "Converge",
                "Tasks (converge)",
                "Re-run",
                "Tasks (re-run)",
                "Re-run: fact gathering",
                "Status",
            ],
            rows,
        )
        for rel, data in releases.items():
            slow = data.get("rerun", {}).get("slowest")
            if slow:
                self.add(
                    f"Slowest tasks of the {rel} re-run: "
                    + "; ".join(f"{t['task']} {t['seconds']:.1f} s" for t in slow)
                    + "."
                )
        self.add("")
        changed = [rel for rel, d in releases.items() if d.get("rerun", {}).get("changed")]
        ok = worst is not None and worst < TARGETS["rerun_seconds"]
        self.summary.append(
            (
                "4. Re-run time (slowest flavour)",
                secs(worst),
                "< 30 s, changed=0",
                _verdict(
                    ok and not changed,
                    (f"by {worst - TARGETS['rerun_seconds']:.1f} s" if worst and not ok else "")
                    + (f" changed>0 on {', '.join(changed)}" if changed else ""),
                ),
            )
        )

    def doctor(self) -> None:
        d = self.r.get("lab", {}).get("doctor")
        loop = self.r.get("doctor_loopback")
        self.add("## 5. Doctor", "")
        healthy = unreachable = None
        if d and not _error(d):
            self.add(
                "`bridge-cli doctor` as a user runs it, from the lab's home namespace "
                "against the provisioned bridge (Python start-up included):",
                "",
            )
            rows = []
            for label, case in d.items():
                rows.append(
                    [
                        label,
                        secs(case["median"], 2),
                        f"{secs(min(case['seconds']), 2)} - {secs(max(case['seconds']), 2)}",
                        ", ".join(map(str, case["exit"])),
                        ", ".join(case["failed_checks"]) or "none",
                    ]
                )
                if label.startswith("healthy, HTTP + SSH"):
                    healthy = case["median"]
                if label.startswith("unreachable"):
                    unreachable = case["median"]
            self.table(["Case", "Median", "Range", "Exit", "Failed checks"], rows)
        elif d:
            self.add(f"Lab doctor runs not measured: {_error(d)}", "")
        if loop and not _error(loop):
            self.add(
                "scripts/bench_doctor.py (the doctor's own benchmark, loopback: "
                "simulator behind the role's haproxy on 127.x):",
                "",
                "```",
            )
            self.add(*loop["lines"], "```", "")
        elif loop:
            self.add(f"scripts/bench_doctor.py not run: {_error(loop)}", "")
        if not d and not loop:
            self.add("Not measured: skipped (--quick or --no-lab)", "")
        if healthy is not None:
            self.summary.append(
                (
                    "5a. Doctor, healthy bridge (with SSH)",
                    secs(healthy, 2),
                    "< 2 s",
                    _verdict(
                        healthy < TARGETS["doctor_healthy"],
                        f"by {healthy - TARGETS['doctor_healthy']:.2f} s",
                    ),
                )
            )
        if unreachable is not None:
            self.summary.append(
                (
                    "5b. Doctor, bridge unreachable",
                    secs(unreachable, 2),
                    "< 5 s",
                    _verdict(
                        unreachable < TARGETS["doctor_unreachable"],
                        f"by {unreachable - TARGETS['doctor_unreachable']:.2f} s",
                    ),
                )
            )

    def footprint(self) -> None:
        f = self.r.get("lab", {}).get("footprint")
        p = self.r.get("protection") or {}
        self.add("## 6. Footprint of haproxy", "")
        rows = []
        lab_ok = bool(f) and not _error(f)
        if lab_ok:
            cl = f["clients"]
            errors = sum(cl["errors"].values()) if cl["errors"] else 0
            pss_idle = _pss(f["processes_idle"])
            pss_load = _pss(f["processes_load"])
            rows.append(
                [
                    "lab bridge (systemd haproxy, master + worker), idle",
                    _mb(f["idle"]["rss_kb"]),
                    _mb(pss_idle),
                    _cpu(f["idle"]["cpu_percent"]),
                    "",
                ]
            )
            rows.append(
                [
                    f"lab bridge, {f['pollers']} DeviceList pollers for "
                    f"{f['duration']:.0f} s (simulator latency off)",
                    _mb(f["load"]["peak_rss_kb"]),
                    _mb(pss_load),
                    _cpu(f["load"]["cpu_percent"]),
                    f"{cl['requests']} requests, p50 {ms(cl['latency']['p50'])}, "
                    f"p99 {ms(cl['latency']['p99'])}, errors {errors}",
                ]
            )
        elif f:
            self.add(f"Lab footprint not measured: {_error(f)}", "")
        for which, label in (
            ("role", "loopback (-db), role config"),
            ("guide", "loopback (-db), guide config"),
        ):
            row = p.get(which)
            if row and "footprint" in row:
                fp = row["footprint"]
                detail = ", ".join(
                    f"{k} {_mb(v)}" for k, v in fp["rss_detail"].items() if k != "Pss"
                )
                pss = fp["rss_detail"].get("Pss")
                rows.append(
                    [
                        f"{label}, idle",
                        _mb(fp["idle"]["rss_kb"]),
                        "",
                        _cpu(fp["idle"]["cpu_percent"]),
                        "",
                    ]
                )
                rows.append(
                    [
                        f"{label}, under item 3's load",
                        _mb(fp["load"]["peak_rss_kb"]),
                        _mb(pss),
                        _cpu(fp["load"]["cpu_percent"]),
                        detail,
                    ]
                )
        if not rows:
            self.add("Not measured.", "")
            self.summary.append(("6. haproxy RSS", "not measured", "< 20 MB", "-"))
            return
        self.add(
            "Resident memory (VmRSS) and CPU time from /proc/<pid>/status and /proc/<pid>/stat, "
            "sampled every 0.5 s; PSS (proportional set size: pages shared between processes "
            "divided among them) from /proc/<pid>/smaps_rollup. On the lab bridge haproxy runs "
            "as Debian's systemd unit does (`-Ws`: a master and one worker, summed); on "
            "loopback as one foreground process (`-db`). CPU is in percent of one core over "
            "the sampled window.",
            "",
        )
        self.table(["Where", "RSS (peak)", "PSS", "CPU", "Notes"], rows)
        if lab_ok:
            for proc in f["processes_load"]:
                self.add(
                    f"- pid {proc['pid']}: RSS {_mb(proc['rss_kb'])} ("
                    + ", ".join(f"{k} {_mb(v)}" for k, v in proc["detail"].items())
                    + ")"
                )
            self.add("")
            rss = max(f["load"]["peak_rss_kb"], f["idle"]["rss_kb"] or 0)
            pss = _pss(f["processes_load"])
            rss_ok = rss < TARGETS["rss_kb"]
            self.summary.append(
                (
                    "6a. haproxy RSS, lab bridge (master + worker summed)",
                    _mb(rss),
                    "< 20 MB",
                    _verdict(rss_ok, f"by {_mb(rss - TARGETS['rss_kb'])}"),
                )
            )
            if pss is not None:
                self.summary.append(
                    (
                        "6b. haproxy PSS, lab bridge (memory it really costs)",
                        _mb(pss),
                        "< 20 MB",
                        _verdict(pss < TARGETS["rss_kb"], f"by {_mb(pss - TARGETS['rss_kb'])}"),
                    )
                )
            if not rss_ok:
                file_kb = sum(pr["detail"].get("RssFile", 0) for pr in f["processes_load"])
                self.add(
                    f"Why the summed RSS misses: RSS counts the pages of the haproxy binary and "
                    f"its libraries once per process ({_mb(file_kb)} file-backed in total); "
                    f"they are in memory once, which PSS accounts for ({_mb(pss)} for master "
                    "and worker together). The master only supervises; the worker serves.",
                    "",
                )
        else:
            fp = p["role"]["footprint"]
            rss = fp["load"]["peak_rss_kb"]
            ok = rss < TARGETS["rss_kb"]
            self.summary.append(
                (
                    "6. haproxy RSS (loopback -db, role config)",
                    _mb(rss),
                    "< 20 MB",
                    _verdict(ok, f"by {_mb(rss - TARGETS['rss_kb'])}"),
                )
            )
        self._cachefill()
        shm = (p.get("role") or {}).get("footprint", {}).get("rss_detail", {}).get("RssShmem", 0)
        if shm > 1024:
            self.add(
                f"On loopback (`-db`) the role's haproxy has {_mb(shm)} of shared memory "
                "resident from the start: the cache (`bridge_proxy_cache_total_max_size_mb`) "
                "is allocated and touched in full when haproxy runs as one process. Under "
                "systemd (master-worker, the lab row) its pages become resident only as the "
                "cache cycles (see above).",
                "",
            )

    def _cachefill(self) -> None:
        c = self.r.get("cachefill")
        if not c:
            return
        self.add("### Once the cache has filled", "")
        if _error(c):
            self.add(f"Not measured: {_error(c)}", "")
            return
        self.add(
            "haproxy's cache is a ring of shared-memory blocks: new objects take blocks not "
            "used yet until the whole `total-max-size` has been written once, so the worker "
            "grows by the cache size over its first hours and then stays there. Here that "
            "is made to happen at once: the role's configuration with a 1 s TTL, a "
            "200-inverter PVS, the cacheable commands asked in a loop, haproxy as master + "
            "worker (`-Ws`, as under systemd) on 127.0.0.1, until the worker's shared memory "
            "stopped growing.",
            "",
        )
        rows = []
        for row in c["rows"]:
            b, a = row["before"], row["after"]
            label = f"{row['cache_mb']} MB" + (" (role default)" if row["default"] else "")
            rows.append(
                [
                    label,
                    f"{row['requests']} in {secs(row['seconds'])}",
                    f"{_mb(b['worker']['rss_kb'])} -> {_mb(a['worker']['rss_kb'])} "
                    f"(RssShmem {_mb(a['worker'].get('RssShmem'))})",
                    _mb(a["master"]["rss_kb"]),
                    _mb(a["rss_kb"]),
                    _mb(a["pss_kb"]),
                ]
            )
        self.table(
            [
                "Cache size",
                "Requests",
                "Worker RSS before -> after",
                "Master RSS",
                "RSS master + worker",
                "PSS master + worker",
            ],
            rows,
        )
        default = next((row for row in c["rows"] if row["default"]), None)
        if default is None:
            return
        rss = default["after"]["rss_kb"]
        ok = rss < TARGETS["rss_kb"]
        self.summary.append(
            (
                f"6c. haproxy RSS once the {default['cache_mb']} MB cache has filled (-Ws, summed)",
                _mb(rss),
                "< 20 MB",
                _verdict(ok, f"by {_mb(rss - TARGETS['rss_kb'])}"),
            )
        )
        if not ok:
            small = [row for row in c["rows"] if not row["default"]]
            self.add(
                f"Why it misses: the worker holds the whole cache "
                f"({_mb(default['after']['worker'].get('RssShmem'))} of shared memory) once it "
                "has cycled, on top of the binary's pages counted in both processes"
                + "".join(
                    f"; with a {row['cache_mb']} MB cache the same run ends at "
                    f"{_mb(row['after']['rss_kb'])} RSS ({_mb(row['after']['pss_kb'])} PSS)"
                    for row in small
                )
                + ". A DeviceList of 60 inverters is about 30 kB, of 200 about 100 kB.",
                "",
            )

    def render(self) -> str:
        r = self.r
        body_start = len(self.lines)
        self.machine()
        self.overhead()
        self.compression()
        self.protection()
        self.provisioning()
        self.doctor()
        self.footprint()
        for part in (peerreport, newfwreport):
            lines, summary = part.section(self.r)
            self.add(*lines)
            self.summary += [tuple(row) for row in summary]
        body = self.lines[body_start:]
        self.lines = []
        self.add(
            "# Benchmarks",
            "",
            "Generated by `make bench` (harness/bench); do not edit by hand. "
            "How it measures: README.md and docs/benchmarks.md.",
            "",
            f"- Command: `{r['command']}`",
            f"- Started: {r['started']} (UTC), wall time {secs(r.get('wall'))}",
            f"- Mode: {'quick (smoke run, loopback only)' if r.get('quick') else 'full'}",
            "",
        )
        self.add("## Summary", "")
        self.table(["Item", "Measured", "Target", "Result"], [list(row) for row in self.summary])
        self.lines += body
        return "\n".join(self.lines).rstrip() + "\n"


def render(results: dict) -> str:
    return Report(results).render()
