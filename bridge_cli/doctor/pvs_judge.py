"""Judge what the PVS says about itself and its devices (pure functions, canned-data tests)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from bridge_cli.doctor.findings import Finding, fail, human_seconds, info, passed, warn

RECENT_RESTART_SECONDS = 3600
FLASH_LOW_KB = 10_000
FLASH_USAGE_HIGH_PERCENT = 90.0
SUPERVISOR_STALE_SECONDS = 15 * 60  # supervisor data changes on a 5-minute grid
METER_STALE_SECONDS = 5 * 60  # meters refresh every 5-15 s
INVERTER_STALE_SECONDS = 30 * 60
UNTRANSMITTED_GROWTH = 100  # records: about 8 five-minute scans of a 12-panel site
UNTRANSMITTED_MIN_AGE = 30 * 60
DAY_HOURS = range(9, 17)  # local hours when panels surely produce (if the sky allows)
NIGHT_HOURS = set(range(0, 5)) | set(range(21, 24))


def _num(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_pvs_time(value: str | None) -> dt.datetime | None:
    """`"2021,10,27,07,25,00"` (UTC) -> datetime."""
    if not value:
        return None
    try:
        parts = [int(p) for p in str(value).split(",")]
        return dt.datetime(*parts[:6], tzinfo=dt.UTC)
    except (TypeError, ValueError):
        return None


_human_seconds = human_seconds  # (other modules import it from here)


def judge_supervisor(sup: dict | None) -> Finding:
    if not sup:
        return fail(
            "pvs.supervisor",
            "DeviceList has no supervisor (DEVICE_TYPE PVS) entry",
            "the PVS's data logger is confused: power-cycle the PVS",
        )
    state = str(sup.get("STATE", "?"))
    desc = f"{sup.get('MODEL', '?')}, {sup.get('SWVER', '?')}"
    if state.lower() != "working":
        return warn(
            "pvs.supervisor",
            f"supervisor STATE is {state!r} ({sup.get('STATEDESCR', '')})",
            "a supervisor that is not 'working' needs a power cycle or SunPower/SunStrong",
            desc,
        )
    return passed("pvs.supervisor", f"supervisor working: {desc}")


def judge_uptime(uptime_seconds: float | None, source: str = "dl_uptime") -> Finding:
    if uptime_seconds is None:
        return warn(
            "pvs.uptime",
            f"no {source} in the answer",
            "an old or unusual firmware: compare with the guide's DeviceList example",
        )
    if uptime_seconds < RECENT_RESTART_SECONDS:
        return warn(
            "pvs.uptime",
            f"the PVS restarted {_human_seconds(uptime_seconds)} ago ({source}"
            f" {uptime_seconds:.0f})",
            "repeated restarts come from polling too fast (keep 120 s or more) or from power "
            "problems; watch whether it happens again",
        )
    return passed("pvs.uptime", f"up {_human_seconds(uptime_seconds)} ({source})")


def judge_flash(flash_avail_kb: float | None, flash_usage_percent: float | None = None) -> Finding:
    if flash_usage_percent is not None:
        if flash_usage_percent >= FLASH_USAGE_HIGH_PERCENT:
            return warn(
                "pvs.flash",
                f"PVS flash {flash_usage_percent:.0f}% used",
                "flash filling up: update the firmware (build 61829+ fixed flash wear) and "
                "poll less often",
            )
        return passed("pvs.flash", f"PVS flash {flash_usage_percent:.0f}% used")
    if flash_avail_kb is None:
        return info("pvs.flash", "the PVS does not report dl_flash_avail")
    if flash_avail_kb < FLASH_LOW_KB:
        return warn(
            "pvs.flash",
            f"PVS flash nearly full: dl_flash_avail {flash_avail_kb:.0f} kB",
            "older builds wear the flash on each request: poll less often (120 s+); build "
            "61829 fixed the flash-wear bug",
        )
    return passed("pvs.flash", f"dl_flash_avail {flash_avail_kb:.0f} kB")


def judge_untransmitted(current: float | None, previous: dict | None, now: float) -> Finding:
    """`previous` is what an earlier doctor run remembered: {"value", "time"}."""
    if current is None:
        return info("pvs.untransmitted", "the PVS does not report dl_untransmitted")
    if previous is None:
        return info(
            "pvs.untransmitted",
            f"dl_untransmitted {current:.0f} (first look; run the doctor again later to see a"
            " trend)",
        )
    prev_value = float(previous.get("value", 0))
    age = now - float(previous.get("time", now))
    growth = current - prev_value
    if growth >= UNTRANSMITTED_GROWTH and age >= UNTRANSMITTED_MIN_AGE:
        return warn(
            "pvs.untransmitted",
            f"dl_untransmitted grew from {prev_value:.0f} to {current:.0f} in"
            f" {_human_seconds(age)}: the PVS's cloud upload is stuck",
            "the PVS cannot reach SunPower's servers: check its WAN/WiFi connection to the "
            "internet (the bridge does not give it one)",
        )
    if growth > 0:
        return info(
            "pvs.untransmitted",
            f"dl_untransmitted {current:.0f} (was {prev_value:.0f} {_human_seconds(age)} ago;"
            " not enough growth to call the upload stuck)",
        )
    trend = "uploads progress" if growth < 0 else "not growing"
    return passed(
        "pvs.untransmitted",
        f"dl_untransmitted {current:.0f} (was {prev_value:.0f} {_human_seconds(age)} ago: {trend})",
    )


def load_previous(state_dir: Path | None, key: str) -> dict | None:
    if state_dir is None:
        return None
    try:
        data = json.loads((state_dir / "untransmitted.json").read_text())
        entry = data.get(key)
        return entry if isinstance(entry, dict) else None
    except (OSError, ValueError, AttributeError):
        return None


def save_current(state_dir: Path | None, key: str, value: float, now: float) -> None:
    """Remember dl_untransmitted per PVS; keep the oldest sample younger than a day."""
    if state_dir is None:
        return
    path = state_dir / "untransmitted.json"
    try:
        data = json.loads(path.read_text()) if path.exists() else {}
        if not isinstance(data, dict):
            data = {}
        old = data.get(key)
        if (
            isinstance(old, dict)
            and now - float(old.get("time", 0)) < 86400
            and value >= float(old.get("value", 0))
        ):
            return  # keep the older baseline so a trend shows over several runs
        data[key] = {"value": value, "time": now}
        # Private (0700/0600): the keys are digests of serials, and a serial's last 5
        # characters are the PVS's password.
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(data))
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    except (OSError, ValueError):
        pass


def _energy(meter: dict) -> float:
    total = 0.0
    for key in ("net_ltea_3phsum_kwh", "pos_ltea_3phsum_kwh", "neg_ltea_3phsum_kwh"):
        v = _num(meter.get(key))
        if v is not None:
            total += abs(v)
    return total


def meter_kind(meter: dict) -> str:
    text = f"{meter.get('TYPE', '')} {meter.get('MODEL', '')}".upper()
    if "METER-P" in text or str(meter.get("MODEL", "")).lower().endswith("p"):
        return "production"
    if "METER-C" in text or str(meter.get("MODEL", "")).lower().endswith("c"):
        return "consumption"
    return "unknown"


def judge_meters(meters: list[dict]) -> Finding:
    kinds = [meter_kind(m) for m in meters]
    if not meters:
        return warn(
            "pvs.meters",
            "no meters in DeviceList: meters can vanish until the PVS is power-cycled",
            "power-cycle the PVS (breaker off 1 minute) and look again",
        )
    if "production" not in kinds:
        return warn(
            "pvs.meters",
            "the production meter is missing from DeviceList",
            "meters vanish until a power cycle: power-cycle the PVS",
            f"meters: {', '.join(str(m.get('SERIAL', '?')) for m in meters)}",
        )
    cons = [m for m, k in zip(meters, kinds, strict=True) if k == "consumption"]
    not_working = [m for m in meters if str(m.get("STATE", "")).lower() != "working"]
    if not_working:
        return warn(
            "pvs.meters",
            f"{len(not_working)} meter(s) not working: "
            + ", ".join(f"{m.get('SERIAL', '?')} {m.get('STATE')}" for m in not_working),
            "power-cycle the PVS; if it persists, the meter needs service",
        )
    if cons and all(_energy(m) == 0 for m in cons):
        return info(
            "pvs.meters",
            "production meter present; consumption meter reads 0 kWh: no metering kit"
            " (consumption data is not available, this is not a fault)",
        )
    return passed("pvs.meters", f"{len(meters)} meters present and working ({', '.join(kinds)})")


def judge_inverters(inverters: list[dict], local_now: dt.datetime) -> Finding:
    n = len(inverters)
    if n == 0:
        return warn(
            "pvs.inverters",
            "no inverters in DeviceList",
            "a new PVS needs commissioning (device discovery); otherwise power-cycle it",
        )
    states: dict[str, int] = {}
    for inv in inverters:
        s = str(inv.get("STATE", "?")).lower()
        states[s] = states.get(s, 0) + 1
    summary = ", ".join(f"{c} {s}" for s, c in sorted(states.items()))
    errors = states.get("error", 0)
    hour = local_now.hour
    if errors == n:
        if hour in NIGHT_HOURS or hour not in DAY_HOURS:
            return info(
                "pvs.inverters",
                f"all {n} inverters report 'error': normal when the panels are unpowered"
                f" (it is {local_now:%H:%M} here)",
            )
        return warn(
            "pvs.inverters",
            f"all {n} inverters report 'error' in daytime ({local_now:%H:%M}): the panels"
            " have no power",
            "check the PV breaker in the main panel and the PV disconnect; inverters report "
            "'error' whenever their panels are unpowered",
        )
    if errors and hour in DAY_HOURS:
        return warn(
            "pvs.inverters",
            f"{errors} of {n} inverters report 'error' in daytime ({summary})",
            "shaded or faulty panels/inverters: compare with yesterday; persistent ones "
            "need service",
        )
    return passed("pvs.inverters", f"{n} inverters: {summary}")


def judge_datatime(devlist_supervisor: dict | None, meters: list[dict], inverters: list[dict]):
    """Stale DATATIME against the PVS's own CURTIME (same clock, so no skew issue)."""
    stale: list[str] = []
    checked = 0

    def age(dev: dict) -> float | None:
        d, c = parse_pvs_time(dev.get("DATATIME")), parse_pvs_time(dev.get("CURTIME"))
        return (c - d).total_seconds() if d and c else None

    groups = [
        (
            "supervisor",
            [devlist_supervisor] if devlist_supervisor else [],
            SUPERVISOR_STALE_SECONDS,
        ),
        ("meter", meters, METER_STALE_SECONDS),
        (
            "inverter",
            [i for i in inverters if str(i.get("STATE", "")).lower() == "working"],
            INVERTER_STALE_SECONDS,
        ),
    ]
    for name, devs, limit in groups:
        for dev in devs:
            a = age(dev)
            if a is None:
                continue
            checked += 1
            if a > limit:
                ident = "" if name == "supervisor" else f" {dev.get('SERIAL', '?')}"
                stale.append(f"{name}{ident} {_human_seconds(a)} old")
    if not checked:
        return info("pvs.datatime", "no DATATIME/CURTIME pairs to compare")
    if stale:
        return warn(
            "pvs.datatime",
            f"stale data: {len(stale)} device(s) not updated lately",
            "the PVS stopped reading these devices: power-cycle it if it lasts",
            "; ".join(stale[:10]),
        )
    return passed("pvs.datatime", f"data fresh ({checked} devices compared with CURTIME)")


def meter_from_vars(m: dict[str, str]) -> dict:
    """A new-firmware meter (/sys/devices/meter/<i>/*) in DeviceList's vocabulary."""
    return {
        "SERIAL": m.get("sn", "?"),
        "MODEL": m.get("prodMdlNm", ""),
        "STATE": "working",
        "net_ltea_3phsum_kwh": m.get("netLtea3phsumKwh"),
        "pos_ltea_3phsum_kwh": m.get("posLtea3phsumKwh"),
        "neg_ltea_3phsum_kwh": m.get("negLtea3phsumKwh"),
    }


def judge_inverters_vars(inverters: list[dict[str, str]], local_now: dt.datetime) -> Finding:
    """New firmware has no STATE: count them, and call silent ones in daytime."""
    n = len(inverters)
    if n == 0:
        return warn(
            "pvs.inverters",
            "no inverters in /vars",
            "a new PVS needs commissioning (device discovery); otherwise power-cycle it",
        )
    producing = sum(1 for i in inverters if (_num(i.get("p3phsumKw")) or 0) > 0)
    if producing == 0 and local_now.hour in DAY_HOURS:
        return warn(
            "pvs.inverters",
            f"none of the {n} inverters produces in daytime ({local_now:%H:%M})",
            "check the PV breaker in the main panel and the PV disconnect",
        )
    return passed("pvs.inverters", f"{n} inverters, {producing} producing now")
