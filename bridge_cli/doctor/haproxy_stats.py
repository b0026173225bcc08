"""Parse haproxy's stats CSV and page, and judge the backend in front of the PVS (pure)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from bridge_cli.doctor.findings import Finding, fail, info, passed, warn

BACKEND = "pvs_http"
SERVER = "pvs"
QUEUE_BACKEND = "pvs_queue"
"""Where clients wait for their turn at the PVS (the bridge_proxy role's queue)."""
SAFE_INTERVAL_SECONDS = 120.0
"""Field notes: Home Assistant's 120 s default is "the lowest safe rate" for a PVS."""
MIN_UPTIME_FOR_RATE = 600.0


def parse_stats_csv(text: str) -> list[dict[str, str]]:
    """Rows of `/;csv` as dicts keyed by the header (`# pxname,svname,...`)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError("not haproxy stats CSV (no '# pxname,...' header)")
    header = lines[0][2:]
    reader = csv.DictReader(io.StringIO("\n".join([header, *lines[1:]])))
    return [row for row in reader if row.get("pxname")]


_UPTIME_RE = re.compile(r"uptime\s*=\s*(?:</b>)?\s*(\d+)d\s*(\d+)h(\d+)m(\d+)s")


def parse_uptime(html: str) -> float | None:
    """haproxy's uptime from its stats page (`uptime = </b> 0d 0h00m03s`), in seconds."""
    m = _UPTIME_RE.search(html)
    if not m:
        return None
    d, h, mi, s = (int(x) for x in m.groups())
    return float(((d * 24 + h) * 60 + mi) * 60 + s)


def _int(row: dict, key: str) -> int:
    try:
        return int(row.get(key) or 0)
    except ValueError:
        return 0


@dataclass
class BackendView:
    backend_status: str
    server_status: str
    check_status: str
    last_check: str
    queue: int
    queue_max: int
    requests: int  # requests/sessions that reached the PVS
    http_5xx: int
    http_total: int
    avg_response_ms: int
    connection_errors: int


# The role's health check reaches the PVS through a hop that answers for it: a refused
# connection comes back at once, one the PVS never answers only after the hop's connect
# timeout (at least half the check's timeout). haproxy can only call both L4CON.
UNANSWERED_AFTER_MS = 400


def check_status(server: dict[str, str]) -> str:
    """haproxy's last check status of SERVER, as the doctor reads it: "* L7TOUT" while a
    check is running is L7TOUT; an L4CON that took UNANSWERED_AFTER_MS or more is a
    connection nobody answered, L4TOUT (a PVS that is off or unplugged, not restarting)."""
    status = server.get("check_status", "").lstrip("* ")
    if status.upper() == "L4CON" and _int(server, "check_duration") >= UNANSWERED_AFTER_MS:
        return "L4TOUT"
    return status


def backend_view(rows: list[dict[str, str]], backend: str = BACKEND, server: str = SERVER):
    be = next((r for r in rows if r["pxname"] == backend and r["svname"] == "BACKEND"), None)
    if be is None:
        return None
    srv = next((r for r in rows if r["pxname"] == backend and r["svname"] == server), None)
    if srv is None:
        srv = next(
            (r for r in rows if r["pxname"] == backend and r["svname"] not in ("BACKEND",)),
            {},
        )
    # Clients queue in front of the PVS side (pvs_queue); older configs queue in pvs_http.
    queue_row = next(
        (r for r in rows if r["pxname"] == QUEUE_BACKEND and r["svname"] == "BACKEND"), be
    )
    hrsp = ("hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other")
    return BackendView(
        backend_status=be.get("status", ""),
        server_status=srv.get("status", ""),
        check_status=check_status(srv),
        last_check=srv.get("last_chk", ""),
        queue=_int(queue_row, "qcur"),
        queue_max=_int(queue_row, "qmax"),
        requests=_int(srv or be, "stot"),
        http_5xx=_int(be, "hrsp_5xx"),
        http_total=sum(_int(be, k) for k in hrsp),
        avg_response_ms=_int(srv or be, "rtime"),
        connection_errors=_int(be, "econ"),
    )


def judge_backend(view: BackendView | None, check_id: str = "haproxy.backend") -> Finding:
    if view is None:
        return fail(
            check_id,
            f"haproxy has no backend '{BACKEND}': this is not the bridge's haproxy config",
            "re-run `bridge-cli provision` so the bridge_proxy role writes haproxy.cfg",
        )
    detail = (
        f"backend {view.backend_status}, server {view.server_status or '?'}"
        f" (check {view.check_status or 'none'}: {view.last_check or '-'}), queue {view.queue}"
        f" (max {view.queue_max}), {view.http_5xx} of {view.http_total} answers 5xx,"
        f" avg PVS response {view.avg_response_ms} ms"
    )
    if view.backend_status.upper().startswith("DOWN") or view.server_status.upper().startswith(
        "DOWN"
    ):
        cs = view.check_status.upper()
        if cs.startswith("L4CON"):
            cause = "the PVS refuses connections (it is restarting, or its web server crashed)"
            hint = "wait a few minutes; if it persists, power-cycle the PVS"
        elif cs.startswith("L7TOUT"):
            cause = (
                "the PVS is hung: it accepts connections but its web server sends no answer"
                " (the health check's HTTP read timed out)"
            )
            hint = "a hung PVS often recovers within minutes; if it lasts, power-cycle the PVS"
        elif cs.startswith("L4TOUT"):
            cause = "the PVS does not answer (powered off, cable unplugged, wrong address)"
            hint = "check the Ethernet cable to PVS LAN1 and that the PVS is powered"
        elif cs.startswith("L7"):
            cause = f"the PVS answers the health check wrongly ({view.last_check})"
            hint = "look at the PVS's answer to the health check URL; power-cycle it if stuck"
        else:
            cause = "the PVS is not reachable from the bridge"
            hint = "check eth0 on the bridge (see the ssh.* checks) and the PVS's power"
        return fail(check_id, f"haproxy marks the PVS DOWN: {cause}", hint, detail)
    if view.queue > 0:
        return warn(
            check_id,
            f"{view.queue} requests are queued waiting for the PVS",
            "the PVS is slower than the pollers: poll less often (120 s or more)",
            detail,
        )
    if view.http_5xx and view.http_total and view.http_5xx * 10 >= view.http_total:
        return warn(
            check_id,
            f"{view.http_5xx} of {view.http_total} answers were 5xx since haproxy started",
            "the PVS failed often: look at haproxy.rate and the pvs.* checks",
            detail,
        )
    return passed(check_id, f"PVS backend UP ({view.check_status or 'no health check'})", detail)


def judge_rate(
    view: BackendView | None, uptime: float | None, check_id: str = "haproxy.rate"
) -> Finding:
    if view is None or uptime is None:
        return info(check_id, "request rate unknown (no backend row or no uptime on stats page)")
    if uptime < MIN_UPTIME_FOR_RATE:
        return info(
            check_id,
            f"haproxy started {uptime:.0f} s ago: too early to judge the polling rate",
            f"{view.requests} requests reached the PVS so far",
        )
    per_min = view.requests / (uptime / 60.0)
    safe_per_min = 60.0 / SAFE_INTERVAL_SECONDS
    detail = f"{view.requests} requests reached the PVS in {uptime / 3600:.1f} h"
    if per_min > safe_per_min:
        return warn(
            check_id,
            f"pollers hit the PVS {per_min:.1f} times a minute on average; the safe rate is one"
            f" request per {SAFE_INTERVAL_SECONDS:.0f} s",
            "poll every 120 s or more (field reports: 30 s polling crashed a PVS every 4 h)",
            detail,
        )
    return passed(check_id, f"{per_min:.2f} requests a minute reach the PVS (safe)", detail)
