"""Parse what the bridge's own tools print, and judge it (pure functions, canned-data tests).

The doctor runs all commands in one SSH round trip (`build_script`), splits the output
(`split_script_output`) and hands each part to a `judge_*` function.
"""

from __future__ import annotations

import ipaddress
import json
import re

# Relative imports, stdlib only: the collection carries a copy (module bridge_health).
from ..settings import PVS_SUBNET
from .findings import Finding, fail, info, passed, skip, warn
from .health import COMMANDS as HEALTH_COMMANDS

COMMANDS: dict[str, str] = {
    "route": "ip -j route show table main",
    "addr": "ip -j addr show",
    "resolv": "cat /etc/resolv.conf",
    "forward": "cat /proc/sys/net/ipv4/ip_forward",
    "haproxy": "systemctl is-active haproxy",
    "clock": "timedatectl show",
    "disk": "df -P -k /",
    "memory": "cat /proc/meminfo",
    "throttled": "if command -v vcgencmd >/dev/null 2>&1; then vcgencmd get_throttled;"
    " else echo absent; fi",
    "wireless": "cat /proc/net/wireless",
    # What the roles recorded about this bridge (bridge_pvs_link: interface and subnet;
    # bridge_proxy: ports, HTTPS mode, PVS pin): the doctor judges against these.
    "facts": 'for f in /etc/ansible/facts.d/*.fact; do [ -r "$f" ] &&'
    ' echo "== $(basename "$f" .fact)" && cat "$f" && echo; done; true',
    **HEALTH_COMMANDS,
}
_MARK = "@@doctor@@"


def build_script(commands: dict[str, str] = COMMANDS) -> str:
    """One POSIX sh script that runs every command and frames its output and status."""
    parts = ["export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH"]
    for name, cmd in commands.items():
        parts.append(f"echo '{_MARK} begin {name}'; ( {cmd} ) 2>&1; echo \"{_MARK} rc $?\"")
    return "\n".join(parts) + "\n"


def split_script_output(text: str) -> dict[str, tuple[int, str]]:
    """{name: (exit status, output)} from the framed output of `build_script`."""
    out: dict[str, tuple[int, str]] = {}
    name: str | None = None
    buf: list[str] = []
    for line in text.splitlines():
        if line.startswith(f"{_MARK} begin "):
            name, buf = line.split(" ", 2)[2].strip(), []
        elif line.startswith(f"{_MARK} rc ") and name is not None:
            try:
                rc = int(line.split()[-1])
            except ValueError:
                rc = -1
            out[name] = (rc, "\n".join(buf))
            name = None
        elif name is not None:
            buf.append(line)
    return out


def _json_list(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def ipv4_addresses(addr_json: str, ifname: str) -> list[dict]:
    """IPv4 entries (`local`, `prefixlen`, `dynamic`, ...) of one interface from `ip -j addr`."""
    for link in _json_list(addr_json):
        if link.get("ifname") == ifname:
            return [a for a in link.get("addr_info", []) if a.get("family") == "inet"]
    return []


def interface_exists(addr_json: str, ifname: str) -> bool:
    return any(link.get("ifname") == ifname for link in _json_list(addr_json))


def interface_state(addr_json: str, ifname: str) -> str:
    for link in _json_list(addr_json):
        if link.get("ifname") == ifname:
            return str(link.get("operstate", "?"))
    return "absent"


def parse_facts(text: str) -> dict[str, dict]:
    """The roles' local facts files ("== name" then its JSON), by name; unreadable ones
    are left out (a fact file is the role's own, never a finding of its own)."""
    out: dict[str, dict] = {}
    for block in ("\n" + text).split("\n== ")[1:]:
        name, _, body = block.partition("\n")
        try:
            value = json.loads(body)
        except ValueError:
            continue
        if isinstance(value, dict):
            out[name.strip()] = value
    return out


def pvs_link(facts: dict[str, dict]) -> tuple[str | None, ipaddress.IPv4Network | None]:
    """The PVS interface and subnet bridge_pvs_link recorded (None where it did not)."""
    link = facts.get("bridge_pvs_link") or {}
    subnet = None
    try:
        subnet = ipaddress.IPv4Network(link["subnet"], strict=False) if link.get("subnet") else None
    except ValueError:
        subnet = None
    iface = link.get("interface") if isinstance(link.get("interface"), str) else None
    return iface, subnet


def judge_lease(
    addr_json: str, ifname: str = "eth0", subnet: ipaddress.IPv4Network = PVS_SUBNET
) -> Finding:
    cid = "ssh.eth0_lease"
    if not interface_exists(addr_json, ifname):
        return fail(
            cid,
            f"{ifname} does not exist on the bridge",
            "plug in the USB Ethernet adapter (PVS6 without Ethernet ports needs one) or set "
            "bridge_pvs_link_interface to the right name",
        )
    addrs = ipv4_addresses(addr_json, ifname)
    in_pvs = [a for a in addrs if ipaddress.ip_address(a["local"]) in subnet]
    state = interface_state(addr_json, ifname)
    if in_pvs:
        a = in_pvs[0]
        life = a.get("valid_life_time")
        lease = f", lease valid {life} s" if isinstance(life, int) and life < 10**9 else ""
        return passed(cid, f"{ifname} has {a['local']}/{a.get('prefixlen')} from the PVS{lease}")
    if addrs:
        other = ", ".join(f"{a['local']}/{a.get('prefixlen')}" for a in addrs)
        if all(a["local"].startswith("169.254.") for a in addrs):
            return fail(
                cid,
                f"{ifname} has only a link-local address ({other}): no DHCP lease from the PVS",
                "use PVS LAN1 (the installer port that serves DHCP), check the cable; a PVS "
                "that just booted needs a few minutes",
            )
        return fail(
            cid,
            f"{ifname} has {other}, not an address in the PVS subnet {subnet}: it is"
            " plugged into another network",
            "connect eth0 to the PVS's LAN1 port, not to the home router",
        )
    return fail(
        cid,
        f"{ifname} has no IPv4 address (link {state}): no DHCP lease from the PVS",
        "check the cable to PVS LAN1 and that the PVS is on; `journalctl -u dhcpcd` or "
        "`nmcli device show eth0` on the bridge shows the DHCP attempts",
    )


def default_routes(route_json: str) -> list[dict]:
    return [r for r in _json_list(route_json) if r.get("dst") == "default"]


def judge_default_route(route_json: str, ifname: str = "eth0") -> Finding:
    cid = "ssh.default_route"
    routes = default_routes(route_json)
    if not routes:
        return warn(
            cid,
            "the bridge has no default route: it cannot reach the internet (updates, NTP)",
            "check the WiFi connection (wlan0) and the home router's DHCP",
        )
    via_pvs = [r for r in routes if r.get("dev") == ifname]
    desc = "; ".join(f"via {r.get('gateway', '-')} dev {r.get('dev')}" for r in routes)
    if via_pvs:
        others = [r for r in routes if r.get("dev") != ifname]
        best = min(routes, key=lambda r: r.get("metric", 0))
        if best.get("dev") == ifname or not others:
            return fail(
                cid,
                f"the default route goes via {ifname} (to the PVS, which has no internet): the"
                " bridge loses its home-network/internet route",
                "the PVS's DHCP offers a gateway: the bridge_pvs_link role must ignore it "
                f"(re-run `bridge-cli provision`); now: `sudo ip route del default dev {ifname}`",
                desc,
            )
        return warn(
            cid,
            f"a second default route via {ifname} exists (lower priority than WiFi)",
            f"re-run `bridge-cli provision` so {ifname} never installs a default route",
            desc,
        )
    return passed(cid, f"default route not via {ifname} ({desc})")


def nameservers(resolv: str) -> list[str]:
    out = []
    for line in resolv.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            out.append(parts[1])
    return out


def judge_resolv(resolv: str, subnet: ipaddress.IPv4Network = PVS_SUBNET) -> Finding:
    cid = "ssh.resolv"
    servers = nameservers(resolv)
    if not servers:
        return warn(cid, "no nameserver in /etc/resolv.conf", "check the WiFi DHCP settings")
    bad = []
    for s in servers:
        try:
            if ipaddress.ip_address(s) in subnet:
                bad.append(s)
        except ValueError:
            continue
    if bad:
        return fail(
            cid,
            f"resolv.conf points at the PVS ({', '.join(bad)}): name lookups fail or crawl",
            "eth0's DHCP must not set DNS: re-run `bridge-cli provision`",
            ", ".join(servers),
        )
    return passed(cid, f"nameservers {', '.join(servers)} (not the PVS)")


def judge_forward(value: str) -> Finding:
    cid = "ssh.ip_forward"
    v = value.strip()
    if v == "0":
        return passed(cid, "IP forwarding is off (the bridge proxies, it does not route)")
    if v == "1":
        return warn(
            cid,
            "IP forwarding is on: the bridge could route the home network onto the PVS's network",
            "`sudo sysctl -w net.ipv4.ip_forward=0`; re-run `bridge-cli provision` to keep it",
        )
    return info(cid, f"cannot read net.ipv4.ip_forward ({v[:60]!r})")


def judge_haproxy_active(rc: int, text: str) -> Finding:
    cid = "ssh.haproxy"
    state = text.strip().splitlines()[-1] if text.strip() else "unknown"
    if rc == 0 and state == "active":
        return passed(cid, "haproxy service is active")
    return fail(
        cid,
        f"the haproxy service is {state}",
        "`sudo systemctl restart haproxy`; `journalctl -u haproxy -n 50` shows why it stopped",
    )


def parse_keyvalue(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def judge_clock(rc: int, text: str) -> Finding:
    cid = "ssh.clock"
    kv = parse_keyvalue(text)
    if "NTPSynchronized" not in kv:
        return info(cid, "timedatectl not available: clock sync unknown", text[:80])
    if kv["NTPSynchronized"] == "yes":
        return passed(cid, f"clock synchronized (NTP), timezone {kv.get('Timezone', '?')}")
    return warn(
        cid,
        "the clock is not synchronized (NTP): timestamps and TLS checks go wrong",
        "the bridge needs internet via WiFi for NTP: `timedatectl timesync-status`",
    )


def parse_df(text: str) -> tuple[int, int, int] | None:
    """(size_kb, used_kb, avail_kb) of the first filesystem line of `df -P -k`."""
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 6 and parts[1].isdigit():
            return int(parts[1]), int(parts[2]), int(parts[3])
    return None


def judge_disk(text: str) -> Finding:
    cid = "ssh.disk"
    parsed = parse_df(text)
    if not parsed:
        return info(cid, "cannot read disk usage", text[:80])
    size, used, avail = parsed
    pct = 100.0 * used / size if size else 0.0
    summary = f"root filesystem {pct:.0f}% used, {avail / 1024:.0f} MiB free"
    if pct >= 97 or avail < 50 * 1024:
        return fail(cid, summary, "free space: `sudo journalctl --vacuum-size=50M`; apt clean")
    if pct >= 90:
        return warn(cid, summary, "free space soon: `sudo journalctl --vacuum-size=50M`")
    return passed(cid, summary)


def parse_meminfo(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        m = re.match(r"(\w+):\s+(\d+)", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def judge_memory(text: str) -> Finding:
    cid = "ssh.memory"
    mem = parse_meminfo(text)
    if "MemTotal" not in mem or "MemAvailable" not in mem:
        return info(cid, "cannot read memory usage", text[:80])
    avail_mb = mem["MemAvailable"] / 1024
    summary = f"{avail_mb:.0f} MiB of {mem['MemTotal'] / 1024:.0f} MiB available"
    if avail_mb < 30:
        return fail(cid, summary, "something eats the memory: `top -o %MEM` on the bridge")
    if avail_mb < 80:
        return warn(cid, summary, "memory is tight: `top -o %MEM` on the bridge")
    return passed(cid, summary)


_THROTTLE_NOW = {
    0: "under-voltage now",
    1: "ARM frequency capped now",
    2: "throttled now",
    3: "soft temperature limit now",
}
_THROTTLE_PAST = {
    16: "under-voltage has occurred",
    17: "frequency capping has occurred",
    18: "throttling has occurred",
    19: "soft temperature limit has occurred",
}


def parse_throttled(text: str) -> int | None:
    m = re.search(r"throttled=(0x[0-9a-fA-F]+|\d+)", text)
    return int(m.group(1), 0) if m else None


def judge_throttled(text: str) -> Finding:
    cid = "ssh.power"
    if text.strip() == "absent":
        return skip(cid, "not reported: no vcgencmd on the bridge (not a Raspberry Pi OS image)")
    value = parse_throttled(text)
    if value is None:
        return info(cid, f"vcgencmd get_throttled said {text.strip()[:60]!r}")
    now = [t for bit, t in _THROTTLE_NOW.items() if value & (1 << bit)]
    past = [t for bit, t in _THROTTLE_PAST.items() if value & (1 << bit)]
    hint = (
        "use the official Raspberry Pi power supply (5.1 V 3 A for a Pi 4); thin USB "
        "cables and phone chargers cause under-voltage and WiFi drop-outs"
    )
    if value & 1:
        return fail(cid, f"the Pi is under-voltage right now (throttled={value:#x})", hint)
    if now or past:
        return warn(cid, f"power/thermal trouble: {', '.join(now + past)} ({value:#x})", hint)
    return passed(cid, "no under-voltage or throttling (throttled=0x0)")


def parse_wireless(text: str) -> dict[str, dict[str, float]]:
    """`/proc/net/wireless` -> {iface: {"quality", "level"}} (level in dBm)."""
    out: dict[str, dict[str, float]] = {}
    for line in text.splitlines()[2:]:
        if ":" not in line:
            continue
        name, rest = line.split(":", 1)
        fields = rest.split()
        if len(fields) < 3:
            continue
        try:
            quality = float(fields[1].rstrip("."))
            level = float(fields[2].rstrip("."))
        except ValueError:
            continue
        if level > 0:  # some drivers report unsigned values: 256 - dBm
            level -= 256
        out[name.strip()] = {"quality": quality, "level": level}
    return out


def judge_wireless(text: str) -> Finding:
    cid = "ssh.wifi"
    ifaces = parse_wireless(text)
    if not ifaces:
        return skip(cid, "no wireless interface is connected on the bridge")
    name, vals = sorted(ifaces.items())[0]
    level = vals["level"]
    summary = f"{name} signal {level:.0f} dBm (link quality {vals['quality']:.0f}/70)"
    hint = (
        "move the Pi or the access point closer, or add a WiFi extender; metal PVS "
        "enclosures attenuate the signal"
    )
    if level <= -80:
        return fail(cid, summary + ": too weak for a stable link", hint)
    if level <= -70:
        return warn(cid, summary + ": weak, expect drop-outs", hint)
    return passed(cid, summary)
