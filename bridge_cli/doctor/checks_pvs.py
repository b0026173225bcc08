"""Checks of the PVS through the bridge: cheap read, firmware, DeviceList, HTTPS login."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from bridge_cli.doctor import haproxy_stats, pvs_judge
from bridge_cli.doctor.context import Context
from bridge_cli.doctor.findings import Finding, fail, info, passed, skip, warn
from bridge_cli.pvs.client import (
    LEGACY_NEW_FIRMWARE_BUILD,
    PvsClient,
    PvsHttpError,
    group_device_vars,
    http_request,
    mask_serial,
    read_vars_with_login,
)

_POWER_CYCLE = "power-cycle the PVS (its breaker off for a minute)"


def _client(ctx: Context) -> PvsClient:
    o = ctx.options
    return PvsClient(o.address, o.port, o.timeout)


def fresh_backend_view(ctx: Context):
    """haproxy's current view of the PVS (stats CSV read now), or the one read earlier."""
    o = ctx.options
    if ctx.get("stats_rows") is not None:
        try:
            page = http_request(o.address, o.stats_port, "/;csv", timeout=min(o.timeout, 2.0))
            rows = haproxy_stats.parse_stats_csv(page.body.decode("utf-8", "replace"))
            return haproxy_stats.backend_view(rows)
        except (PvsHttpError, ValueError):
            pass
    return ctx.get("backend_view")


def explain_pvs_error(check_id: str, exc: PvsHttpError, ctx: Context, what: str) -> Finding:
    """Turn a classified HTTP failure into the real cause and its fix."""
    detail = exc.message + (f" | got: {exc.excerpt}" if exc.excerpt else "")
    view = None
    if exc.kind in ("haproxy_503", "haproxy_504", "read_timeout"):
        view = fresh_backend_view(ctx)
    check_status = (getattr(view, "check_status", "") or "").upper()
    if view is not None:
        detail += (
            f" | haproxy: server {view.server_status}, last health check {view.check_status}"
            f" ({view.last_check or '-'})"
        )
    if exc.kind == "read_timeout" and check_status.startswith(("L4CON", "L4TOUT")):
        cause = (
            "refuses connections (restarting, or its web server crashed)"
            if check_status.startswith("L4CON")
            else "does not answer at all (powered off, cable unplugged)"
        )
        return fail(
            check_id,
            f"{what}: no answer in time because the PVS {cause}; haproxy keeps retrying",
            "wait a few minutes and run the doctor again; if it lasts, check the PVS's power "
            f"and cable, then {_POWER_CYCLE}",
            detail,
        )
    hung = check_status.startswith("L7TOUT") or (
        exc.kind == "read_timeout" and check_status.startswith("L4OK")
    )
    if exc.kind in ("read_timeout", "haproxy_503") and hung:
        # The role's health check is an HTTP read: it times out (L7TOUT) while the PVS's web
        # server accepts connections but never answers (a hung dl_cgi), unlike a PVS that
        # is off (L4TOUT) or restarting (L4CON). With an older, TCP-only check the check
        # passes (L4OK) while readers time out: the same diagnosis.
        queued = f"; {view.queue} request(s) queue behind it" if view and view.queue else ""
        return fail(
            check_id,
            f"{what}: the PVS is hung: it accepts connections but sends no answer"
            f" (haproxy's check: {check_status}){queued}; a PVS that is down or restarting"
            " refuses connections instead",
            "a hung PVS often recovers within minutes: run the doctor again in 5 minutes; if"
            f" it still hangs, {_POWER_CYCLE}",
            detail,
        )
    if exc.kind == "haproxy_503":
        if check_status.startswith("L4TOUT"):
            return fail(
                check_id,
                f"{what}: the PVS does not answer connections behind haproxy (haproxy's 503"
                " page): it is powered off, or the cable to LAN1 is out",
                "check the PVS's power and the Ethernet cable to LAN1 (ssh.eth0_lease); a"
                " hung PVS would accept connections, this one does not",
                detail,
            )
        if check_status.startswith("L4CON"):
            return fail(
                check_id,
                f"{what}: the PVS refuses connections behind haproxy (haproxy's 503 page): it"
                " is restarting or its web server crashed",
                "wait a few minutes and run the doctor again (a small dl_uptime confirms a "
                f"restart); if it lasts, {_POWER_CYCLE}",
                detail,
            )
        return fail(
            check_id,
            f"{what}: the PVS is not answering behind haproxy (haproxy's own 503 page"
            " 'No server is available'): the PVS is down, restarting, or unreachable from the"
            " bridge",
            "check the PVS's power and the Ethernet cable to LAN1 (ssh.eth0_lease); a "
            "restarting PVS comes back within minutes",
            detail,
        )
    if exc.kind == "haproxy_504":
        return fail(
            check_id,
            f"{what}: the PVS accepted the request but did not answer in haproxy's time limit"
            " (haproxy's 504 page)",
            f"the PVS is overloaded or hung: poll less often; if it lasts, {_POWER_CYCLE}",
            detail,
        )
    if exc.kind == "haproxy_502":
        return fail(
            check_id,
            f"{what}: the PVS sent an invalid or cut-off answer (haproxy's 502 page)",
            f"the PVS's web server is failing: {_POWER_CYCLE}",
            detail,
        )
    if exc.kind == "http_status" and exc.status in (403, 500):
        return fail(
            check_id,
            f"{what}: dl_cgi is locked out (HTTP {exc.status}): the PVS's data logger CGI has"
            " crashed",
            f"only a power cycle clears it: {_POWER_CYCLE}; then poll less often (120 s+)",
            detail,
        )
    if exc.kind in ("truncated", "truncated_json"):
        return fail(
            check_id,
            f"{what}: truncated answer: {exc.message}",
            "the PVS (or the link to it) cut the answer short: run again; if it repeats, "
            f"{_POWER_CYCLE}",
            detail,
        )
    if exc.kind == "not_json":
        return fail(
            check_id, f"{what}: {exc.message}", "is this address really a PVS bridge?", detail
        )
    if exc.kind == "wrong_shape":
        return fail(
            check_id,
            f"{what}: {exc.message}",
            "an unexpected firmware answer: compare with the guide's example",
            detail,
        )
    if exc.kind == "read_timeout":
        return fail(
            check_id,
            f"{what}: no answer within {exc.message.rsplit('within ', 1)[-1]}",
            "the PVS is slow or hung; the doctor's --timeout/--devicelist-timeout set the limits",
            detail,
        )
    if exc.kind == "guard":
        return fail(
            check_id,
            f"{what}: the bridge's read-only guard refused a read",
            "the guard should only refuse writes: re-run `bridge-cli provision`",
            detail,
        )
    return fail(check_id, f"{what}: {exc.message}", "see bridge.http and haproxy.backend", detail)


def check_info(ctx: Context) -> Finding:
    try:
        sup, result = _client(ctx).supervisor_info()
    except PvsHttpError as exc:
        return explain_pvs_error("pvs.info", exc, ctx, "supervisor/info")
    ctx.put("supervisor_info", sup)
    ctx.put("info_result", result)
    model = f"{sup.model} " if sup.model else ""
    return passed(
        "pvs.info",
        f"PVS answers supervisor/info in {result.elapsed * 1000:.0f} ms ({model}build "
        f"{sup.build if sup.build is not None else '?'})",
    )


def check_firmware(ctx: Context) -> Finding:
    sup = ctx.get("supervisor_info")
    if sup.build is None:
        return warn(
            "pvs.firmware",
            f"cannot tell the firmware generation (SWVER {sup.swver!r} has no build number)",
            "compare with the field notes' build list",
        )
    if sup.new_firmware:
        return info(
            "pvs.firmware",
            f"new firmware (build {sup.build} >= {LEGACY_NEW_FIRMWARE_BUILD}): data comes from"
            " the HTTPS /vars API; dl_cgi DeviceList may be refused",
        )
    return info("pvs.firmware", f"legacy firmware (build {sup.build}): dl_cgi API, no login")


def check_devicelist(ctx: Context) -> Finding:
    o = ctx.options
    sup = ctx.get("supervisor_info")
    try:
        devlist, result = _client(ctx).device_list(timeout=o.devicelist_timeout)
    except PvsHttpError as exc:
        if sup and sup.new_firmware and exc.kind == "http_status" and exc.status == 403:
            ctx.put("devicelist_refused_new_fw", True)
            return info(
                "pvs.devicelist",
                f"new firmware (build {sup.build}) refuses dl_cgi DeviceList (403) as expected:"
                " see pvs.login for the data",
            )
        if exc.kind == "read_timeout":
            return fail(
                "pvs.devicelist",
                f"DeviceList took longer than {o.devicelist_timeout:g} s"
                " (--devicelist-timeout): the PVS is slow or hung",
                "a real PVS takes 6-10 s, sometimes over a minute: raise --devicelist-timeout; "
                f"if it never answers, {_POWER_CYCLE}",
                exc.message,
            )
        return explain_pvs_error("pvs.devicelist", exc, ctx, "DeviceList")
    ctx.put("devicelist", devlist)
    ctx.put("devicelist_result", result)
    return passed(
        "pvs.devicelist",
        f"DeviceList in {result.elapsed:.1f} s: {len(devlist.inverters)} inverters, "
        f"{len(devlist.meters)} meters",
    )


def check_login(ctx: Context) -> Finding:
    o = ctx.options
    sup = ctx.get("supervisor_info")
    if not sup.new_firmware:
        return skip("pvs.login", "legacy firmware: no HTTPS login needed")
    if not o.serial:
        return warn(
            "pvs.login",
            f"new firmware (build {sup.build}): --serial is needed to log in and read /vars;"
            " login skipped",
            "run again with --serial <PVS serial> (on the PVS label; the password is its last"
            " 5 characters)",
        )
    try:
        result = read_vars_with_login(
            o.address,
            o.https_port,
            o.serial,
            matches=("/sys/info", "/sys/devices/", "/sys/pvs/"),
            timeout=max(o.timeout, 5.0),
        )
    except PvsHttpError as exc:
        reported = exc.reported_serial
        if exc.kind == "auth":
            mismatch = reported and reported.upper() != o.serial.upper()
            why = (
                f"--serial does not match this PVS (it reports {mask_serial(reported)})"
                if mismatch
                else "the password (last 5 characters of --serial) is wrong"
            )
            return fail(
                "pvs.login",
                f"the PVS refused the login as ssm_owner: {why}",
                "pass the serial printed on this PVS's label (or from the SunPower app)",
                exc.message,
            )
        if exc.kind in ("refused", "connect_timeout", "unreachable"):
            return fail(
                "pvs.login",
                f"HTTPS port {o.https_port} on the bridge: {exc.message}",
                "new firmware needs TCP 443 passed through the bridge (pvs_https listener): "
                "re-run `bridge-cli provision`",
            )
        return explain_pvs_error("pvs.login", exc, ctx, "HTTPS /vars")
    ctx.put("vars", result.values)
    return passed(
        "pvs.login",
        f"logged in over HTTPS :{o.https_port} and read {len(result.values)} /vars values in"
        f" {result.elapsed:.1f} s",
    )


def _needs_data(ctx: Context, check_id: str):
    """(devicelist, vars, skip_finding)."""
    devlist = ctx.get("devicelist")
    vars_ = ctx.get("vars")
    if devlist is None and vars_ is None:
        return None, None, skip(check_id, "no DeviceList or /vars data to look at")
    return devlist, vars_, None


def check_supervisor(ctx: Context) -> Finding:
    devlist, vars_, sk = _needs_data(ctx, "pvs.supervisor")
    if sk:
        return sk
    if devlist is not None:
        return pvs_judge.judge_supervisor(devlist.supervisor)
    sup = ctx.get("supervisor_info")
    return passed(
        "pvs.supervisor",
        f"supervisor answers /vars: {vars_.get('/sys/info/model', sup.model or '?')},"
        f" {vars_.get('/sys/info/sw_rev', sup.swver or '?')}",
    )


def check_uptime(ctx: Context) -> Finding:
    devlist, vars_, sk = _needs_data(ctx, "pvs.uptime")
    if sk:
        return sk
    if devlist is not None:
        value = pvs_judge._num((devlist.supervisor or {}).get("dl_uptime"))
        return pvs_judge.judge_uptime(value, "dl_uptime")
    return pvs_judge.judge_uptime(pvs_judge._num(vars_.get("/sys/info/uptime")), "uptime")


def check_flash(ctx: Context) -> Finding:
    devlist, vars_, sk = _needs_data(ctx, "pvs.flash")
    if sk:
        return sk
    if devlist is not None:
        return pvs_judge.judge_flash(
            pvs_judge._num((devlist.supervisor or {}).get("dl_flash_avail"))
        )
    return pvs_judge.judge_flash(None, pvs_judge._num(vars_.get("/sys/info/flash_usage")))


def check_untransmitted(ctx: Context) -> Finding:
    devlist = ctx.get("devicelist")
    if devlist is None:
        return skip("pvs.untransmitted", "dl_untransmitted comes from DeviceList (not read)")
    sup = devlist.supervisor or {}
    value = pvs_judge._num(sup.get("dl_untransmitted"))
    # keyed by a digest: the serial's last 5 characters are the PVS's password
    key = hashlib.sha256(str(sup.get("SERIAL") or ctx.options.address).encode()).hexdigest()[:16]
    now = time.time()
    previous = pvs_judge.load_previous(ctx.options.state_dir, key)
    finding = pvs_judge.judge_untransmitted(value, previous, now)
    if value is not None:
        pvs_judge.save_current(ctx.options.state_dir, key, value, now)
    return finding


def check_meters(ctx: Context) -> Finding:
    devlist, vars_, sk = _needs_data(ctx, "pvs.meters")
    if sk:
        return sk
    if devlist is not None:
        return pvs_judge.judge_meters(devlist.meters)
    return pvs_judge.judge_meters(
        [pvs_judge.meter_from_vars(m) for m in group_device_vars(vars_, "meter")]
    )


def check_inverters(ctx: Context) -> Finding:
    devlist, vars_, sk = _needs_data(ctx, "pvs.inverters")
    if sk:
        return sk
    now = ctx.get("local_now") or dt.datetime.now().astimezone()
    if devlist is not None:
        return pvs_judge.judge_inverters(devlist.inverters, now)
    return pvs_judge.judge_inverters_vars(group_device_vars(vars_, "inverter"), now)


def check_datatime(ctx: Context) -> Finding:
    devlist = ctx.get("devicelist")
    if devlist is None:
        return skip("pvs.datatime", "DATATIME comes from DeviceList (not read)")
    return pvs_judge.judge_datatime(devlist.supervisor, devlist.meters, devlist.inverters)
