"""Wear and heat: the Pi's temperature, SD card and uptime, the PVS's flash wear (pure).

What a device does not report is "not reported" (info), never a failure: the virtual lab
has no thermal zone, SD cards rarely report wear, older PVS firmware has no flash-wear value.
"""

from __future__ import annotations

# Relative imports, stdlib only: the collection carries a copy (module bridge_health).
from .findings import Finding, fail, info, passed, warn
from .findings import human_seconds as _human_seconds

# Run on the bridge in the doctor's one SSH round trip (see ssh_parsers.build_script).
COMMANDS: dict[str, str] = {
    "temperature": "cat /sys/class/thermal/thermal_zone0/temp 2>/dev/null || echo absent",
    "uptime": "cat /proc/uptime",
    "sdcard": (
        'echo "root $(awk \'$2=="/"{o=$4} END{print o}\' /proc/mounts)";'
        ' for f in /sys/fs/ext4/*/errors_count; do [ -r "$f" ] && echo "ext4 $f $(cat "$f")";'
        " done;"
        ' for d in /sys/block/mmcblk*/device; do [ -d "$d" ] && echo "mmc $d'
        ' $(cat "$d/life_time" 2>/dev/null | tr \' \' ,) $(cat "$d/pre_eol_info" 2>/dev/null)";'
        " done; true"
    ),
}

TEMP_WARN_C = 80.0  # the Pi's firmware starts to throttle the CPU from 80 degC
TEMP_INFO_C = 70.0
RECENT_BOOT_SECONDS = 3600


def _int(text: str) -> int | None:
    try:
        return int(text.strip(), 0)
    except (ValueError, AttributeError):
        return None


def life_used(code: int | None) -> str | None:
    """JEDEC eMMC life-time estimate (1 = 0-10% used ... 10 = 90-100%, 11 = exceeded)."""
    if code is None or not 1 <= code <= 11:
        return None
    return "more than its rated life" if code == 11 else f"{(code - 1) * 10}-{code * 10}%"


def judge_temperature(text: str) -> Finding:
    cid = "ssh.temperature"
    millideg = _int(text) if text.strip() != "absent" else None
    if millideg is None:
        return info(cid, "temperature not reported (no /sys/class/thermal on the bridge)")
    celsius = millideg / 1000
    if celsius >= TEMP_WARN_C:
        return warn(
            cid,
            f"the Pi is hot: {celsius:.0f} degC (it slows itself down from 80 degC)",
            "give the Pi air (no closed box in the sun, not on the PVS's warm case); a Pi"
            " Zero in a hot enclosure hangs or reboots",
        )
    if celsius >= TEMP_INFO_C:
        return info(cid, f"the Pi is warm: {celsius:.0f} degC")
    return passed(cid, f"the Pi is at {celsius:.0f} degC")


def judge_uptime(text: str) -> Finding:
    cid = "ssh.uptime"
    try:
        seconds = float(text.split()[0])
    except (IndexError, ValueError):
        return info(cid, "uptime not reported")
    if seconds < RECENT_BOOT_SECONDS:
        return info(
            cid,
            f"the bridge booted {_human_seconds(seconds)} ago",
            "if nobody restarted it: the watchdog or a brown-out did (see ssh.power); keep"
            " the journal persistent (bridge_base_journal_storage) to read why",
        )
    return passed(cid, f"the bridge is up {_human_seconds(seconds)}")


def judge_sdcard(text: str) -> Finding:
    cid = "ssh.sdcard"
    lines = [line.split() for line in text.splitlines() if line.strip()]
    options = next((p[1] for p in lines if p[0] == "root" and len(p) > 1), "")
    errors = {p[1].split("/")[4]: _int(p[2]) for p in lines if p[0] == "ext4" and len(p) > 2}
    cards = [p for p in lines if p[0] == "mmc" and len(p) > 1]
    if "ro" in options.split(","):
        return fail(
            cid,
            "the root filesystem is read-only: the SD card is failing (the kernel remounted it"
            " after write errors)",
            "back up what you need, write a new card (`bridge-cli sdcard write`) and provision"
            " it again",
            f"mount options: {options}",
        )
    bad = {dev: n for dev, n in errors.items() if n}
    if bad:
        return warn(
            cid,
            "filesystem errors recorded: "
            + ", ".join(f"{dev} {n} error(s)" for dev, n in sorted(bad.items())),
            "an SD card starting to fail: plan a new card soon (`bridge-cli sdcard write`)",
        )
    wear = []
    for p in cards:
        codes = [_int(c) for c in (p[2].split(",") if len(p) > 2 else [])]
        eol = _int(p[3]) if len(p) > 3 else None
        used = [life_used(c) for c in codes if life_used(c)]
        if eol in (2, 3) or any(c is not None and c >= 9 for c in codes):
            return warn(
                cid,
                f"the card reports wear: {', '.join(used) or '?'} of its life used"
                f"{', pre-EOL ' + ('warning' if eol == 2 else 'urgent') if eol in (2, 3) else ''}",
                "replace the card soon (`bridge-cli sdcard write`)",
            )
        if used:
            wear.append(f"{p[1].split('/')[3]}: {used[0]} of its life used")
    if wear:
        return passed(cid, "card wear " + "; ".join(wear))
    checked = f"{len(errors)} ext4 filesystem(s) without errors" if errors else "writable root"
    return info(cid, f"card wear not reported ({checked}; SD cards rarely report wear)")


def judge_flashwear(value: str | None) -> Finding:
    """/sys/pvs/flashwear_type_b (2025 firmware): the PVS's eMMC life-time estimate."""
    cid = "pvs.flashwear"
    if value is None:
        return info(cid, "flash wear not reported by this firmware (/sys/pvs/flashwear_type_b)")
    code = _int(str(value))
    used = life_used(code)
    if used is None:
        return info(cid, f"flash wear value {value!r} (not a JEDEC life-time estimate)")
    if code >= 9:
        return warn(
            cid,
            f"the PVS's flash reports {used} of its life used (flashwear_type_b {value})",
            "poll less often (every 120 s or more) and ask SunStrong about the PVS's flash",
        )
    return passed(cid, f"the PVS's flash reports {used} of its life used")
