"""Section 8 of BENCHMARKS.md: the 2025 firmware's API through the bridge (pure)."""

from __future__ import annotations

from harness.bench.stats import ms, secs

HEADING = "## 8. The 2025 firmware's API (:443)"
# SunStrong asks clients for no more than one varserver query every few seconds (issue 12).
PVS_PER_MINUTE_TARGET = 20.0
ADDED_P50_TARGET = 0.005  # a TLS handshake and a re-encryption on this CPU: a few ms


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}/s"


def _latency(lines: list[str], rows: list, data: dict) -> None:
    lat = data.get("latency") or {"error": "not run"}
    if "error" in lat:
        lines += [f"Latency: not measured ({lat['error']}).", ""]
        rows.append(["8a. :443 terminated vs pass-through", "not measured", "-", "-"])
        return
    lines += [
        f"One `/vars` read (`/sys/info/uptime`, a unique `cache=` each), {lat['requests']} per"
        " path and connection kind in 5 alternating blocks, simulator latency off. Added ="
        " terminated minus pass-through (p99s subtracted, not per request).",
        "",
        "| Connection | Pass-through p50 / p99 | Terminated p50 / p99 | Added p50 / p99 |",
        "|---|---|---|---|",
    ]
    for key, label in (("new_connection", "new TLS connection each"), ("keep_alive", "kept")):
        d = lat[key]
        p, t = d["passthrough"], d["terminate"]
        lines.append(
            f"| {label} | {ms(p['p50'])} / {ms(p['p99'])} | {ms(t['p50'])} / {ms(t['p99'])} "
            f"| {ms(d['added_p50'])} / {ms(d['added_p99'])} |"
        )
    lines.append("")
    new = lat["new_connection"]
    ok = new["added_p50"] < ADDED_P50_TARGET
    rows.append(
        [
            "8a. :443 terminated vs pass-through (added p50 / p99, new connection)",
            f"{ms(new['added_p50'])} / {ms(new['added_p99'])}",
            f"p50 < {ms(ADDED_P50_TARGET, 0)}",
            "met" if ok else "**missed**",
        ]
    )


def _handshakes(lines: list[str], rows: list, data: dict) -> None:
    hs = data.get("handshakes") or {"error": "not run"}
    est = data.get("estimate") or {"error": "not run"}
    if "error" in hs:
        lines += [f"Handshakes: not measured ({hs['error']}).", ""]
        rows.append(["8b. TLS handshakes per second", "not measured", "-", "-"])
        return
    cipher = " ".join(str(c) for c in (hs.get("cipher") or [])[:2]) or "-"
    lines += [
        f"Full handshakes (no session reuse) on the terminated :443 from {hs['clients']} client"
        f" processes for {secs(hs['seconds'])}: {hs['handshakes']} done, {hs['failed']} failed,"
        f" {_rate(hs['rate'])} observed (clients and haproxy share this machine's cores);"
        f" haproxy used {hs['haproxy_cpu_seconds']:.2f} s of CPU, so one core of this machine"
        f" sustains **{_rate(hs['per_core'])}**. Negotiated: {cipher}, the bridge's EC P-256"
        " certificate.",
        "",
    ]
    pi = None
    if "ratio" in est and hs.get("per_core"):
        pi = hs["per_core"] / est["ratio"]
        n, e = est["native"], est["emulated"]
        lines += [
            "Pi Zero W estimate: this machine's per-core rate divided by how much slower the"
            " server's public-key work of one TLS 1.3 handshake (one ECDSA P-256 signature, one"
            " X25519 agreement) is for ARM code: `openssl speed -mr ecdsap256 ecdhx25519` here"
            f" ({n['ecdsa_p256_sign']:,.0f} signs/s, {n['x25519']:,.0f} X25519/s) and the armhf"
            f" Debian `openssl` of `{est['root']}` under qemu-user ({e['ecdsa_p256_sign']:,.0f}"
            f" signs/s, {e['x25519']:,.0f} X25519/s): {est['ratio']:.1f}x slower, so about"
            f" **{_rate(pi)}**. qemu-user is not a Pi: it translates ARMv7 code on this x86"
            " core, while the Zero W's single ARM1176 at 1 GHz has no NEON and a small cache;"
            " read it as an upper bound and an order of magnitude. Clients that keep their"
            " connection (pypvs's aiohttp, browsers) pay one handshake per session, not per"
            " request.",
            "",
        ]
    else:
        lines += [f"Pi Zero W estimate: not made ({est.get('error', 'no per-core rate')}).", ""]
    measured = f"{_rate(hs['per_core'])} per core here"
    measured += f"; Pi Zero W ~{_rate(pi)}" if pi else ""
    rows.append(["8b. TLS handshakes haproxy sustains", measured, "-", "measured"])


def _pollers(lines: list[str], rows: list, data: dict) -> None:
    pol = data.get("pollers") or {"error": "not run"}
    if "error" in pol:
        lines += [f"New-API pollers: not measured ({pol['error']}).", ""]
        rows.append(["8c. Three pypvs clients every 10 s: PVS peak", "not measured", "1", "-"])
        return
    polls = sum(c["polls"] for c in pol["clients"])
    errors = sum(c["errors"] for c in pol["clients"])
    lines += [
        f"Three pypvs clients (its `update()`, as the Home Assistant integration polls) every"
        f" {pol['interval']:.0f} s for {secs(pol['duration'])} through the terminated :443, in"
        " front of a simulator at realistic latency; the bridge's health check off (it is"
        " beside the one-request slot and would count in the peak). From the simulator's"
        f" counters: peak concurrency **{pol['peak']}**, {pol['requests']} requests"
        f" (**{pol['per_minute']:.0f} per minute**), {pol['per_poll']:.1f} `/vars` requests per"
        f" poll; {polls} polls, {errors} client errors. Commands: "
        + ", ".join(f"{k} {v}" for k, v in pol["commands"].items())
        + ".",
        "",
        "pypvs reads each gateway variable by name and every device class by prefix match,"
        " so one poll is over a dozen varserver requests; the bridge serialises them (peak 1)"
        " but does not cache `/vars`, so the PVS still sees every one of them.",
        "",
    ]
    rows.append(
        [
            "8c. Three pypvs clients every 10 s: PVS peak concurrency",
            str(pol["peak"]),
            "1",
            "met" if pol["peak"] == 1 else "**missed**",
        ]
    )
    ok = pol["per_minute"] <= PVS_PER_MINUTE_TARGET
    rows.append(
        [
            "8d. Three pypvs clients every 10 s: requests per minute at the PVS",
            f"{pol['per_minute']:.0f}",
            f"<= {PVS_PER_MINUTE_TARGET:.0f} (one query every few seconds)",
            "met" if ok else f"**missed** by {pol['per_minute'] - PVS_PER_MINUTE_TARGET:.0f}",
        ]
    )


def section(results: dict) -> tuple[list[str], list[list[str]]]:
    """The section's lines and its summary rows."""
    data = results.get("newfw")
    lines = [HEADING, ""]
    rows: list[list[str]] = []
    if not data or "error" in data:
        why = (data or {}).get("error", "not run")
        return [*lines, f"Not measured: {why}.", ""], [["8. 2025 firmware's API", why, "-", "-"]]
    lines += [
        "A 2025-firmware simulator (`--firmware 61845`) behind the role's haproxy on"
        " 127.0.0.1, :443 terminated (the role's default, bridge certificate and PVS pin made"
        " as the role makes them) and passed through, at the same time"
        f" (harness/bench/newfw.py). Measured by `{results.get('command', '-')}`, started"
        f" {results.get('started', '-')} (UTC).",
        "",
    ]
    _latency(lines, rows, data)
    _handshakes(lines, rows, data)
    _pollers(lines, rows, data)
    return lines, rows


def splice(markdown: str, results: dict) -> str:
    """An existing BENCHMARKS.md with section 8 and its summary rows replaced (or added)."""
    lines, rows = section(results)
    text = markdown.rstrip("\n").split("\n")
    if HEADING in text:  # drop the old section: up to the next "## " heading or the end
        start = text.index(HEADING)
        end = next((i for i in range(start + 1, len(text)) if text[i].startswith("## ")), None)
        text = text[:start] + (text[end:] if end is not None else [])
        while text and not text[-1]:
            text.pop()
    text = [row for row in text if not row.startswith("| 8")]
    table_rows = ["| " + " | ".join(row) + " |" for row in rows]
    if "## Summary" in text:
        i = text.index("## Summary") + 1
        while i < len(text) and not text[i].startswith("|"):
            i += 1
        while i < len(text) and text[i].startswith("|"):
            i += 1
        text[i:i] = table_rows
    return "\n".join([*text, "", *lines]).rstrip() + "\n"
