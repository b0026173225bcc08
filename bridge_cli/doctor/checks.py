"""The catalogue of checks: stable ids, titles, dependencies. README.md lists them."""

from __future__ import annotations

from bridge_cli.doctor import checks_bridge as b
from bridge_cli.doctor import checks_history as h
from bridge_cli.doctor import checks_pvs as p
from bridge_cli.doctor import checks_ssh as s
from bridge_cli.doctor.context import Context
from bridge_cli.doctor.findings import Finding, skip
from bridge_cli.doctor.runner import Check

_PVS_DATA = ("pvs.devicelist", "pvs.login")


def _ssh(fn):
    def wrapped(ctx: Context) -> Finding:
        if ctx.get("ssh_outputs") is None:
            return skip("", "no SSH session (see ssh.connect)")
        return fn(ctx)

    return wrapped


def _no_ssh(ctx: Context) -> Finding:
    return skip("ssh.connect", "--no-ssh: checks on the bridge itself were not run")


SSH_CHECKS = [
    Check("ssh.eth0_lease", _ssh(s.check_lease), "eth0 has a DHCP lease in the PVS subnet"),
    Check("ssh.default_route", _ssh(s.check_default_route), "the default route is not via eth0"),
    Check("ssh.resolv", _ssh(s.check_resolv), "resolv.conf does not point at the PVS"),
    Check("ssh.ip_forward", _ssh(s.check_forward), "IP forwarding is off"),
    Check("ssh.haproxy", _ssh(s.check_haproxy), "the haproxy service is active"),
    Check("ssh.clock", _ssh(s.check_clock), "the clock is NTP-synchronized"),
    Check("ssh.disk", _ssh(s.check_disk), "root filesystem has free space"),
    Check("ssh.memory", _ssh(s.check_memory), "enough memory available"),
    Check("ssh.power", _ssh(s.check_power), "no under-voltage/throttling (vcgencmd)"),
    Check("ssh.wifi", _ssh(s.check_wifi), "WiFi signal strength"),
    Check("ssh.temperature", _ssh(s.check_temperature), "the Pi's temperature"),
    Check("ssh.uptime", _ssh(s.check_uptime), "when the bridge last booted"),
    Check("ssh.sdcard", _ssh(s.check_sdcard), "SD card: writable, no errors, wear if reported"),
]


def all_checks(ssh: bool = True) -> list[Check]:
    pvs_needs = ("pvs.info",)
    checks = [
        Check("bridge.resolve", b.check_resolve, "the bridge's name resolves"),
        Check("bridge.http", b.check_http, "TCP port 80 (haproxy) answers"),
        Check("bridge.stats", b.check_stats, "haproxy's stats page answers"),
        Check(
            "haproxy.backend",
            b.check_backend,
            "haproxy's view of the PVS: up/down, queue, 5xx",
            needs=("bridge.stats",),
        ),
        Check(
            "haproxy.rate",
            b.check_rate,
            "request rate reaching the PVS vs the safe rate",
            needs=("bridge.stats",),
        ),
        Check(
            "pvs.info",
            p.check_info,
            "cheap read through the bridge: supervisor/info",
            needs=("bridge.http",),
            after=("bridge.stats", "haproxy.backend"),
        ),
        Check("pvs.firmware", p.check_firmware, "legacy or new firmware", needs=pvs_needs),
        Check("pvs.devicelist", p.check_devicelist, "full DeviceList", needs=pvs_needs),
        Check(
            "pvs.login",
            p.check_login,
            "new firmware: HTTPS login and /vars (pypvs)",
            needs=pvs_needs,
        ),
        Check(
            "pvs.supervisor",
            p.check_supervisor,
            "supervisor state and build",
            needs=pvs_needs,
            after=_PVS_DATA,
        ),
        Check(
            "pvs.uptime",
            p.check_uptime,
            "no recent restart (dl_uptime)",
            needs=pvs_needs,
            after=_PVS_DATA,
        ),
        Check(
            "pvs.flash",
            p.check_flash,
            "flash space (dl_flash_avail)",
            needs=pvs_needs,
            after=_PVS_DATA,
        ),
        Check(
            "pvs.untransmitted",
            p.check_untransmitted,
            "cloud upload backlog not growing (dl_untransmitted)",
            needs=pvs_needs,
            after=_PVS_DATA,
        ),
        Check(
            "pvs.meters",
            p.check_meters,
            "production/consumption meters present",
            needs=pvs_needs,
            after=_PVS_DATA,
        ),
        Check(
            "pvs.inverters",
            p.check_inverters,
            "inverter count and states",
            needs=pvs_needs,
            after=_PVS_DATA,
        ),
        Check(
            "pvs.datatime",
            p.check_datatime,
            "device data fresh (DATATIME vs CURTIME)",
            needs=pvs_needs,
            after=_PVS_DATA,
        ),
        Check(
            "pvs.inverter_count",
            h.check_inverter_count,
            "no inverters missing since the doctor last looked",
            needs=pvs_needs,
            after=_PVS_DATA,
        ),
        Check(
            "pvs.firmware_change",
            h.check_firmware_change,
            "firmware generation unchanged since first seen",
            needs=pvs_needs,
        ),
        Check(
            "pvs.devices",
            h.check_devices,
            "every device accounted for, by type",
            needs=pvs_needs,
            after=_PVS_DATA,
        ),
        Check(
            "pvs.flashwear",
            h.check_flashwear,
            "the PVS's flash wear (/sys/pvs/flashwear_type_b)",
            needs=pvs_needs,
            after=_PVS_DATA,
        ),
        Check(
            "bridge.gzip",
            b.check_gzip,
            "the bridge gzips JSON when asked",
            needs=pvs_needs,
            after=("pvs.devicelist",),
        ),
        Check(
            "bridge.guard",
            b.check_guard,
            "the read-only guard refuses a write",
            needs=("bridge.http",),
        ),
    ]
    connect = Check(
        "ssh.connect", s.check_connect if ssh else _no_ssh, "SSH to the bridge (key auth)"
    )
    checks.append(connect)
    for c in SSH_CHECKS:
        checks.append(Check(c.id, c.fn, c.title, needs=("ssh.connect",)))
    return checks


def check_ids() -> list[str]:
    return [c.id for c in all_checks()]
