"""Judge what changed on a PVS since the doctor last looked (pure functions).

Each judge takes what is seen now and the record remembered earlier (bridge_cli.doctor.
history) and returns (finding, record to remember).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from bridge_cli.doctor.findings import Finding, info, passed, warn
from bridge_cli.doctor.pvs_judge import RECENT_RESTART_SECONDS, _human_seconds

# A lower inverter count that lasts this long becomes the new normal (inverters removed).
NEW_BASELINE_SECONDS = 3 * 86400

# DEVICE_TYPE values the doctor knows (pvs-guide.md's DeviceList examples).
KNOWN_DEVICE_TYPES = {
    "pvs": "supervisor",
    "supervisor": "supervisor",
    "power meter": "meter",
    "inverter": "inverter",
    "hub+": "storage",
    "ess hub": "storage",
    "pv disconnect": "storage",
    "gateway": "storage",
    "storage inverter": "storage",
    "ess bms": "storage",
    "battery": "storage",
    "energy storage system": "storage",
}
# /sys/devices/<type>/... on 2025 firmware (pypvs's public variable list).
KNOWN_VAR_TYPES = {"inverter", "meter", "ess", "transfer_switch", "livedata"}


def _when(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def judge_inverter_count(
    serials: list[str], record: dict | None, uptime: float | None, now: float
) -> tuple[Finding, dict]:
    """Fewer inverters than the baseline (the most seen) means some went missing."""
    cid = "pvs.inverter_count"
    count = len(serials)
    fresh = {"count": count, "serials": sorted(serials), "time": now}
    if record is None:
        return info(cid, f"{count} inverters (first look: remembered for the next run)"), fresh
    before = int(record.get("count", 0))
    if count >= before:
        more = f" ({count - before} more than before)" if count > before else ""
        return passed(cid, f"{count} inverters, as many as on {_when(record['time'])}{more}"), fresh
    lower_since = float(record.get("lower_since", now))
    missing = sorted(set(record.get("serials", [])) - set(serials))
    detail = "missing: " + ", ".join(missing[:20]) if missing else ""
    if now - lower_since >= NEW_BASELINE_SECONDS:
        return (
            info(
                cid,
                f"{count} inverters for {_human_seconds(now - lower_since)} now (were {before}):"
                " taken as the new normal",
                detail,
            ),
            fresh,
        )
    kept = {**record, "lower_since": lower_since}
    gone = before - count
    if uptime is not None and uptime < RECENT_RESTART_SECONDS:
        return (
            warn(
                cid,
                f"{count} of {before} inverters back since the PVS restarted"
                f" {_human_seconds(uptime)} ago",
                "after a restart the PVS finds its inverters again one by one (minutes, up to"
                " an hour): run the doctor again later",
                detail,
            ),
            kept,
        )
    return (
        warn(
            cid,
            f"{gone} inverter(s) missing: {count} now, {before} on {_when(record['time'])}",
            "inverters drop out of DeviceList until the PVS is power-cycled (breaker off a"
            " minute); if they stay missing, the inverter or its AC circuit needs service",
            detail,
        ),
        kept,
    )


def generation(build: int | None, new_firmware: bool) -> str:
    if build is None:
        return "unknown"
    return "2025" if new_firmware else "legacy"


def judge_firmware_change(
    build: int | None, new_firmware: bool, record: dict | None, now: float
) -> tuple[Finding, dict]:
    """The firmware generation the doctor first saw (after provisioning) against now."""
    cid = "pvs.firmware_change"
    gen = generation(build, new_firmware)
    if record is None:
        first = {"build": build, "generation": gen, "time": now}
        return info(cid, f"{gen} firmware, build {build} (first look: remembered)"), first
    was_gen, was_build = record.get("generation"), record.get("build")
    since = _when(float(record.get("time", now)))
    if gen != was_gen and "unknown" not in (gen, was_gen):
        changed = {**record, "build": build, "generation": gen, "changed_from": was_gen,
                   "changed_build": was_build, "changed_time": now}  # fmt: skip
        if gen == "2025":
            hint = (
                "dl_cgi DeviceList is refused now: clients must log in over HTTPS (pypvs,"
                " the serial's last 5 characters) and read /vars; the bridge passes 443 and"
                " 9002 through already"
            )
        else:
            hint = "clients of the HTTPS /vars API must fall back to dl_cgi on port 80"
        return (
            warn(
                cid,
                f"the PVS firmware changed generation: {was_gen} build {was_build} on {since},"
                f" {gen} build {build} now",
                hint,
            ),
            changed,
        )
    if record.get("changed_from"):
        return (
            info(
                cid,
                f"{gen} firmware, build {build}: changed from {record['changed_from']} build"
                f" {record.get('changed_build')} on {_when(float(record['changed_time']))}",
            ),
            {**record, "build": build},
        )
    if build != was_build:
        return (
            info(cid, f"{gen} firmware updated from build {was_build} (seen {since}) to {build}"),
            {**record, "build": build},
        )
    return passed(cid, f"{gen} firmware, build {build}, as on {since}"), record


def judge_devices(devices: list[dict]) -> Finding:
    """Every DeviceList entry counted by DEVICE_TYPE; unknown types listed, never dropped."""
    cid = "pvs.devices"
    counts = Counter(str(d.get("DEVICE_TYPE") or "(no DEVICE_TYPE)") for d in devices)
    listing = ", ".join(f"{n} {t}" for t, n in sorted(counts.items(), key=lambda kv: kv[0]))
    unknown = {t: n for t, n in counts.items() if t.lower() not in KNOWN_DEVICE_TYPES}
    if unknown:
        names = ", ".join(f"{n} x {t!r}" for t, n in sorted(unknown.items()))
        return info(
            cid,
            f"{len(devices)} devices; of a type the doctor does not know: {names}",
            listing,
        )
    return passed(cid, f"{len(devices)} devices, all of known types: {listing}")


def judge_var_devices(values: dict[str, str]) -> Finding:
    """2025 firmware: devices under /sys/devices/<type>/<index>/, counted by type."""
    cid = "pvs.devices"
    seen: dict[str, set[str]] = {}
    for name in values:
        parts = name.split("/")
        if len(parts) >= 5 and parts[1:3] == ["sys", "devices"]:
            seen.setdefault(parts[3], set()).add(parts[4])
    if not seen:
        return info(cid, "no /sys/devices/ variables in /vars")
    total = sum(len(v) for v in seen.values())
    listing = ", ".join(f"{len(v)} {t}" for t, v in sorted(seen.items()))
    unknown = sorted(t for t in seen if t not in KNOWN_VAR_TYPES)
    if unknown:
        names = ", ".join(f"{len(seen[t])} x {t!r}" for t in unknown)
        return info(cid, f"{total} devices; of a type the doctor does not know: {names}", listing)
    return passed(cid, f"{total} devices, all of known types: {listing}")
