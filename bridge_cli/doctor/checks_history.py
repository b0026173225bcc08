"""Checks over time: inverters missing since last time, firmware changes, every device
accounted for, the PVS's flash wear. They remember what they saw (doctor.history)."""

from __future__ import annotations

import time

from bridge_cli.doctor import health, history, over_time, pvs_judge
from bridge_cli.doctor.context import Context
from bridge_cli.doctor.findings import Finding, info, skip
from bridge_cli.pvs.client import group_device_vars

FLASHWEAR_VAR = "/sys/pvs/flashwear_type_b"


def _key(ctx: Context) -> str:
    sup = ctx.get("supervisor_info")
    devlist = ctx.get("devicelist")
    serial = (sup.serial if sup else None) or (
        (devlist.supervisor or {}).get("SERIAL") if devlist else None
    )
    return history.pvs_key(str(serial or ctx.options.address))


def _now(ctx: Context) -> float:
    return ctx.get("wall_now") or time.time()


def _uptime(ctx: Context) -> float | None:
    devlist, vars_ = ctx.get("devicelist"), ctx.get("vars")
    if devlist is not None:
        return pvs_judge._num((devlist.supervisor or {}).get("dl_uptime"))
    if vars_ is not None:
        return pvs_judge._num(vars_.get("/sys/info/uptime"))
    return None


def check_inverter_count(ctx: Context) -> Finding:
    devlist, vars_ = ctx.get("devicelist"), ctx.get("vars")
    if devlist is not None:
        serials = [str(i.get("SERIAL", f"#{n}")) for n, i in enumerate(devlist.inverters)]
    elif vars_ is not None:
        inverters = group_device_vars(vars_, "inverter")
        serials = [str(i.get("sn", f"#{n}")) for n, i in enumerate(inverters)]
    else:
        return skip("pvs.inverter_count", "no DeviceList or /vars data to count inverters in")
    o, key = ctx.options, _key(ctx)
    record = history.load(o.state_dir, key, "inverters")
    finding, new = over_time.judge_inverter_count(serials, record, _uptime(ctx), _now(ctx))
    if serials or record is None:  # an empty list never becomes the baseline by itself
        history.save(o.state_dir, key, "inverters", new)
    return finding


def check_firmware_change(ctx: Context) -> Finding:
    sup = ctx.get("supervisor_info")
    if sup.build is None:
        return info("pvs.firmware_change", "no build number to compare (see pvs.firmware)")
    o, key = ctx.options, _key(ctx)
    record = history.load(o.state_dir, key, "firmware")
    finding, new = over_time.judge_firmware_change(sup.build, sup.new_firmware, record, _now(ctx))
    history.save(o.state_dir, key, "firmware", new)
    return finding


def check_devices(ctx: Context) -> Finding:
    devlist, vars_ = ctx.get("devicelist"), ctx.get("vars")
    if devlist is not None:
        devices = [d for d in [devlist.supervisor] if d] + [
            *devlist.meters,
            *devlist.inverters,
            *devlist.others,
        ]
        return over_time.judge_devices(devices)
    if vars_ is not None:
        return over_time.judge_var_devices(vars_)
    return skip("pvs.devices", "no DeviceList or /vars data to look at")


def check_flashwear(ctx: Context) -> Finding:
    vars_ = ctx.get("vars")
    if vars_ is None:
        sup = ctx.get("supervisor_info")
        if sup and not sup.new_firmware:
            return info(
                "pvs.flashwear",
                "legacy firmware: flash wear not reported (pvs.flash shows dl_flash_avail)",
            )
        return skip("pvs.flashwear", "flash wear comes from /vars (no login, see pvs.login)")
    return health.judge_flashwear(vars_.get(FLASHWEAR_VAR))
