"""What the virtual lab needs from this machine, and what is missing."""

from __future__ import annotations

import os
import platform
import shutil

from bridge_cli.lab import arch

REQUIRED_TOOLS = {
    "ip": "iproute2",
    "systemd-nspawn": "systemd-container",
    "debootstrap": "debootstrap",
    "dnsmasq": "dnsmasq-base",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
}


def _kernel_filesystems() -> str:
    try:
        with open("/proc/filesystems") as f:
            return f.read()
    except OSError:
        return ""


def missing_capabilities() -> list[str]:
    """Human-readable reasons the lab cannot run here; empty when it can."""
    missing: list[str] = []
    if platform.system() != "Linux":
        return [f"needs Linux (this is {platform.system()})"]
    if os.geteuid() != 0:
        missing.append("needs root (network namespaces and systemd-nspawn)")
    if not os.path.exists("/proc/self/ns/net"):
        missing.append("the kernel has no network namespaces (CONFIG_NET_NS)")
    filesystems = _kernel_filesystems()
    if filesystems and "overlay" not in filesystems:
        missing.append("the kernel has no overlayfs (modprobe overlay)")
    missing += arch.missing()
    for tool, package in REQUIRED_TOOLS.items():
        if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
            missing.append(f"missing {tool} (apt-get install {package})")
    return missing
