"""Checks of the bridge itself over the network: name, TCP 80, haproxy stats, behaviour."""

from __future__ import annotations

import socket
import time

from bridge_cli.doctor import haproxy_stats
from bridge_cli.doctor.context import Context
from bridge_cli.doctor.findings import Finding, fail, passed, skip, warn
from bridge_cli.pvs.client import PvsHttpError, classify_response, excerpt, http_request


def check_resolve(ctx: Context) -> Finding:
    o = ctx.options
    if o.host == o.address:
        return passed("bridge.resolve", f"{o.host} is an address (no name to resolve)")
    return passed(
        "bridge.resolve", f"{o.host} resolves to {o.address} ({o.resolve_seconds * 1000:.0f} ms)"
    )


def tcp_connect(address: str, port: int, timeout: float) -> tuple[str, str]:
    """('ok'|'refused'|'timeout'|'unreachable'|'error', text) for one TCP connection."""
    start = time.monotonic()
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return "ok", f"connected in {(time.monotonic() - start) * 1000:.0f} ms"
    except ConnectionRefusedError:
        return "refused", "connection refused"
    except TimeoutError:
        return "timeout", f"no answer within {timeout:g} s"
    except OSError as exc:
        if exc.errno in (101, 113, 99):  # ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL
            return "unreachable", f"no route to the host ({exc.strerror})"
        return "error", f"{exc.__class__.__name__}: {exc}"


def _unreachable_finding(check_id: str, target: str, state: str, text: str, what: str) -> Finding:
    if state == "refused":
        return fail(
            check_id,
            f"{what}: {target} refuses connections: the host is up but nothing listens (haproxy"
            " is down or not installed)",
            "on the bridge: `sudo systemctl status haproxy`, then `sudo systemctl restart "
            "haproxy`; if it is missing, re-run `bridge-cli provision`",
            text,
        )
    if state == "unreachable":
        return fail(
            check_id,
            f"{what}: no route to {target}: this machine is not on the bridge's network",
            "connect this machine to the home network the bridge is on, or check the address",
            text,
        )
    if state == "timeout":
        return fail(
            check_id,
            f"{what}: {target} does not answer at all: the bridge is off, off the WiFi, or the "
            "address is wrong",
            "check the Pi's power LED and that it joined the WiFi (router's client list); "
            "a Pi 4 on a weak supply drops off (see ssh.power)",
            text,
        )
    return fail(check_id, f"{what}: {target}: {text}", "check the address and port", text)


def check_http(ctx: Context) -> Finding:
    o = ctx.options
    state, text = tcp_connect(o.address, o.port, o.timeout)
    ctx.put("tcp_http", state)
    if state == "ok":
        return passed("bridge.http", f"TCP {o.port} answers ({text})")
    return _unreachable_finding("bridge.http", f"{o.address}:{o.port}", state, text, "bridge")


def check_stats(ctx: Context) -> Finding:
    o = ctx.options
    target = f"{o.address}:{o.stats_port}"
    try:
        page = http_request(o.address, o.stats_port, "/", timeout=o.timeout)
        classify_response(page, "stats page")
        csv_page = http_request(o.address, o.stats_port, "/;csv", timeout=o.timeout)
        classify_response(csv_page, "stats CSV")
        rows = haproxy_stats.parse_stats_csv(csv_page.body.decode("utf-8", "replace"))
    except PvsHttpError as exc:
        ctx.put("tcp_stats", exc.kind)
        if exc.kind in ("refused", "connect_timeout", "unreachable"):
            state = {"connect_timeout": "timeout"}.get(exc.kind, exc.kind)
            if state == "refused":
                return fail(
                    "bridge.stats",
                    f"haproxy's stats listener on {target} refuses connections: haproxy is down"
                    " (or the stats port is not the role's)",
                    "on the bridge: `sudo systemctl restart haproxy`; `journalctl -u haproxy` "
                    "says why it stopped",
                    exc.message,
                )
            return _unreachable_finding("bridge.stats", target, state, exc.message, "stats")
        if exc.kind == "http_status" and exc.status == 401:
            return warn(
                "bridge.stats",
                f"haproxy's stats page on {target} needs a login (bridge_proxy_stats_user is"
                " set): haproxy's view of the PVS is not checked",
                "open http://<bridge>:8080/ in a browser with the stats login to see it",
            )
        return fail(
            "bridge.stats",
            f"haproxy stats page on {target} answers wrongly: {exc.message}",
            "is another web server on this port? re-run `bridge-cli provision`",
            exc.excerpt,
        )
    except ValueError as exc:
        return fail(
            "bridge.stats",
            f"{target}/;csv is not haproxy's stats CSV ({exc})",
            "is another web server on this port? re-run `bridge-cli provision`",
            excerpt(csv_page.body),
        )
    ctx.put("tcp_stats", "ok")
    ctx.put("stats_rows", rows)
    ctx.put("stats_uptime", haproxy_stats.parse_uptime(page.body.decode("utf-8", "replace")))
    return passed("bridge.stats", f"haproxy stats page answers on :{o.stats_port}")


def check_backend(ctx: Context) -> Finding:
    if ctx.get("stats_rows") is None:
        return skip("haproxy.backend", "no stats CSV to read (see bridge.stats)")
    view = haproxy_stats.backend_view(ctx.get("stats_rows"))
    ctx.put("backend_view", view)
    return haproxy_stats.judge_backend(view)


def check_rate(ctx: Context) -> Finding:
    if ctx.get("stats_rows") is None:
        return skip("haproxy.rate", "no stats CSV to read (see bridge.stats)")
    view = haproxy_stats.backend_view(ctx.get("stats_rows"))
    return haproxy_stats.judge_rate(view, ctx.get("stats_uptime"))


def check_gzip(ctx: Context) -> Finding:
    """Did any JSON answer through the bridge come gzip-compressed when asked?"""
    answers = [r for r in (ctx.get("info_result"), ctx.get("devicelist_result")) if r]
    if not answers:
        return skip("bridge.gzip", "no JSON answer from the PVS to look at")
    if any(r.gzipped for r in answers):
        r = next(r for r in answers if r.gzipped)
        return passed(
            "bridge.gzip",
            f"answers are gzip-compressed when asked ({r.raw_length} bytes on the wire for"
            f" {len(r.body)})",
        )
    return warn(
        "bridge.gzip",
        "the bridge does not compress JSON answers (Accept-Encoding: gzip was ignored)",
        "the bridge_proxy role enables haproxy compression; re-run `bridge-cli provision`",
        f"Content-Encoding: {answers[-1].header('content-encoding') or 'none'}",
    )


GUARD_PROBE = ("POST", "/cgi-bin/dl_cgi?Command=Stop")
"""A write the guard must refuse; harmless if it reached a PVS (Stop ends a session)."""


def check_guard(ctx: Context) -> Finding:
    o = ctx.options
    method, path = GUARD_PROBE
    try:
        result = http_request(o.address, o.port, path, method=method, body=b"", timeout=o.timeout)
    except PvsHttpError as exc:
        return warn(
            "bridge.guard",
            f"could not test the read-only guard: {exc.message}",
            "run the doctor again when the bridge answers",
        )
    guard = result.header("x-pvs-bridge-guard")
    if result.status == 403 and guard:
        return passed("bridge.guard", f"the read-only guard refuses writes ({method} {path})")
    return fail(
        "bridge.guard",
        f"{method} {path} was not refused by the bridge (HTTP {result.status}, no guard header):"
        " writes reach the PVS",
        "set `bridge_proxy_allow_writes: false` (the default) and re-run `bridge-cli provision`",
        excerpt(result.body),
    )
