"""dnsmasq as the DHCP server of a lab namespace (the PVS side and the home LAN)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from bridge_cli.lab import netns, procs

DNSMASQ = "/usr/sbin/dnsmasq"


@dataclass(frozen=True)
class DhcpSide:
    tag: str  # "pvs" or "home": names the files in the state dir
    ns: str
    interface: str
    router: str
    range_start: str
    range_end: str
    reservations: tuple[tuple[str, str], ...] = ()  # (mac, address)


def _paths(state_dir: Path, tag: str) -> tuple[Path, Path, Path]:
    return (
        state_dir / f"dnsmasq-{tag}.pid",
        state_dir / f"dnsmasq-{tag}.leases",
        state_dir / f"dnsmasq-{tag}.log",
    )


def start(side: DhcpSide, state_dir: Path) -> int:
    """Start dnsmasq in `side.ns`; it daemonizes and writes its pid file. Returns the pid."""
    pid_file, lease_file, log_file = _paths(state_dir, side.tag)
    lease_file.touch()
    argv = [
        DNSMASQ,
        "--conf-file=/dev/null",
        "--user=root",
        f"--interface={side.interface}",
        "--bind-interfaces",
        "--except-interface=lo",
        f"--dhcp-range={side.range_start},{side.range_end},255.255.255.0,1h",
        f"--dhcp-option=option:router,{side.router}",
        f"--dhcp-option=option:dns-server,{side.router}",
        "--no-resolv",
        "--no-hosts",
        "--no-ping",
        "--dhcp-authoritative",
        f"--dhcp-leasefile={lease_file}",
        f"--pid-file={pid_file}",
        f"--log-facility={log_file}",
        "--log-dhcp",
    ]
    argv += [f"--dhcp-host={mac},{addr}" for mac, addr in side.reservations]
    result = subprocess.run(netns.exec_argv(side.ns, argv), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"dnsmasq ({side.tag}) failed: {result.stderr.strip()}")
    pid = procs.read_pid(pid_file)
    if not procs.alive(pid):
        raise RuntimeError(f"dnsmasq ({side.tag}) did not start: {procs.tail(log_file)}")
    return pid


def stop(state_dir: Path, tag: str) -> None:
    pid_file = _paths(state_dir, tag)[0]
    procs.stop(pid_file, expect=f"--pid-file={pid_file}")


def leases(state_dir: Path, tag: str) -> list[dict]:
    """The current leases: [{mac, address, hostname, expires}]."""
    lease_file = _paths(state_dir, tag)[1]
    out = []
    try:
        text = lease_file.read_text()
    except OSError:
        return out
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4:
            out.append(
                {
                    "expires": int(parts[0]) if parts[0].isdigit() else 0,
                    "mac": parts[1].lower(),
                    "address": parts[2],
                    "hostname": None if parts[3] == "*" else parts[3],
                }
            )
    return out


def pid(state_dir: Path, tag: str) -> int | None:
    return procs.read_pid(_paths(state_dir, tag)[0])
