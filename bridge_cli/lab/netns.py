"""Network namespaces and veth pairs of one lab, created without touching the host namespace.

Each veth pair is created *inside* the bridge's namespace with its peer moved straight into
the PVS or home namespace, so the host namespace never sees a lab interface or route.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from bridge_cli.lab import topology as topo

NETNS_DIR = Path("/run/netns")
MULTICAST = "224.0.0.0/4"
IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "ip"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([IP, *args], check=check, capture_output=True, text=True)


def exists(ns: str) -> bool:
    return (NETNS_DIR / ns).exists()


def exec_argv(ns: str, argv: list[str]) -> list[str]:
    """The argv that runs `argv` inside namespace `ns` (network namespace only)."""
    return [IP, "netns", "exec", ns, *argv]


def create(names: topo.Names) -> None:
    """Create the three namespaces, the two veth pairs and the lab's side addresses."""
    for ns in names.namespaces:
        _ip("netns", "add", ns)
    pi, pvs, home = names.pi_ns, names.pvs_ns, names.home_ns
    _ip("-n", pi, "link", "add", "eth0", "address", topo.ETH0_MAC, "type", "veth",
        "peer", "name", "pvs0", "netns", pvs)  # fmt: skip
    _ip("-n", pi, "link", "add", "wlan0", "address", topo.WLAN0_MAC, "type", "veth",
        "peer", "name", "home0", "netns", home)  # fmt: skip
    _ip("-n", pvs, "addr", "add", f"{topo.PVS_ADDRESS}/{topo.PVS_PREFIXLEN}", "dev", "pvs0")
    _ip("-n", home, "addr", "add", f"{topo.HOME_ROUTER}/{topo.HOME_PREFIXLEN}", "dev", "home0")
    # dhcpcd's if_init writes promote_secondaries=1 and gives the interface up when it
    # cannot: /proc/sys is read-only in the container, so set it here beforehand.
    for dev in ("eth0", "wlan0"):
        path = f"/proc/sys/net/ipv4/conf/{dev}/promote_secondaries"
        subprocess.run(
            exec_argv(pi, ["/bin/sh", "-c", f"echo 1 > {path}"]), check=True, capture_output=True
        )
    for ns, dev in ((pvs, "pvs0"), (home, "home0")):
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "link", "set", dev, "up")
        # Neither side has a default route: without this, a client that does not pick an
        # interface itself gets "network unreachable" sending to 224.0.0.251 (mDNS).
        _ip("-n", ns, "route", "add", MULTICAST, "dev", dev)


def pids(ns: str) -> list[int]:
    if not exists(ns):
        return []
    out = _ip("netns", "pids", ns, check=False).stdout
    return [int(p) for p in out.split() if p.isdigit()]


def kill_remaining(ns: str, timeout: float = 5.0) -> None:
    """Stop whatever still runs in a lab namespace (only lab processes can be there)."""
    left = pids(ns)
    for pid in left:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = pids(ns)
    for pid in left:
        _signal(pid, signal.SIGKILL)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def delete(names: topo.Names) -> None:
    """Delete the lab's namespaces (their veths go with them). Safe to call repeatedly."""
    for ns in names.namespaces:
        if exists(ns):
            kill_remaining(ns)
            _ip("netns", "del", ns, check=False)


def host_has_lab_interfaces() -> list[str]:
    """Names of lab-looking interfaces in the *host* namespace (must always be empty)."""
    out = _ip("-o", "link", "show", check=False).stdout
    lab_devs = ("eth0@", "wlan0@", "pvs0", "home0")
    found = []
    for line in out.splitlines():
        parts = line.split(": ")
        if len(parts) > 1 and parts[1].startswith(lab_devs) and "veth" in line:
            found.append(parts[1])
    return found
