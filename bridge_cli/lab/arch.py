"""The lab guest's architecture: the machine's own, or armhf through qemu-user.

BRIDGE_LAB_ARCH=armhf builds and boots a Debian armhf guest, the nearest stand-in for
Raspberry Pi OS (32-bit, as on a Pi Zero W) that Debian's mirror offers. The machine runs
its binaries with qemu-user-static through binfmt_misc; the qemu-arm entry is registered
with the F flag (the interpreter is opened once, at registration), so binaries inside the
nspawn container and debootstrap's chroot run without a copy of qemu in the guest.
Everything is slower under qemu: `make test-arm` runs the armhf check on its own.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from bridge_cli import settings
from bridge_cli.errors import BridgeInputError

FOREIGN = ("armhf",)
BINFMT = Path("/proc/sys/fs/binfmt_misc")


def native() -> str:
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf"}.get(
        platform.machine(), platform.machine()
    )


def guest_arch() -> str:
    """The guest architecture asked for (BRIDGE_LAB_ARCH), validated."""
    value = os.environ.get("BRIDGE_LAB_ARCH") or native()
    if value != native() and value not in FOREIGN:
        allowed = ", ".join((native(), *FOREIGN))
        raise BridgeInputError("BRIDGE_LAB_ARCH", f"{value!r} is not allowed; use {allowed}")
    return value


def is_foreign() -> bool:
    return guest_arch() != native()


def missing() -> list[str]:
    """Why a foreign guest cannot run here (empty when it can)."""
    if not is_foreign():
        return []
    if not Path("/usr/bin/qemu-arm-static").exists():
        return ["an armhf guest needs qemu-user-static (apt-get install qemu-user-static)"]
    return []


def enable_binfmt() -> None:
    """Mount binfmt_misc if needed and enable qemu-arm (binfmt-support's entry)."""
    if not (BINFMT / "status").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
    entry = BINFMT / "qemu-arm"
    if not entry.exists() or not entry.read_text().startswith("enabled"):
        subprocess.run(["update-binfmts", "--enable", "qemu-arm"], check=True)
    _register_with_credentials(entry)


OWN_ENTRY = "pvs-bridge-qemu-arm"


def _fields(entry: Path) -> dict[str, str]:
    lines = entry.read_text().splitlines()
    fields = dict(line.split(" ", 1) for line in lines[1:] if " " in line)
    fields["flags"] = next(
        (ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("flags:")), ""
    )
    return fields


def _register_with_credentials(entry: Path) -> None:
    """sudo in the guest needs setuid to work under qemu: binfmt's C flag (credentials from
    the ARM binary, not from qemu). Debian registers qemu-arm with P and F only, so the lab
    adds its own entry for the same ELF header with P, F and C; the newest entry is matched
    first (binfmt_misc.rst, "flags")."""
    own = BINFMT / OWN_ENTRY
    if own.exists():
        return
    f = _fields(entry)
    if "C" in f["flags"]:
        return
    if "F" not in f["flags"]:
        raise RuntimeError("binfmt qemu-arm is registered without the F (fix binary) flag")

    def escaped(hexstr: str) -> str:
        return "".join(f"\\x{hexstr[i : i + 2]}" for i in range(0, len(hexstr), 2))

    rule = (f":{OWN_ENTRY}:M:{f['offset']}:{escaped(f['magic'])}:{escaped(f['mask'])}:"
            f"{f['interpreter']}:PFC")  # fmt: skip
    (BINFMT / "register").write_text(rule)


# qemu-user answers every read of dhcpcd's netlink socket with EINVAL (its netlink
# translation), and dhcpcd 8 (which peeks first) retries at once: about a thousand
# "dhcpcd_handlelink: Invalid argument" lines a second, and no link event ever reaches it.
DHCPCD_QEMU = """\
# pvs-bridge lab, foreign-architecture guest only (qemu-user): dhcpcd's netlink reads all
# fail here and it retries at once, logging each failure. journald keeps a few of those
# lines, and dhcpcd yields the CPU to the rest of the guest. Not needed on a real Pi.
[Service]
LogRateLimitIntervalSec=60s
LogRateLimitBurst=20
Nice=19
"""


def guest_files(release: str) -> dict[str, str]:
    """Files a foreign guest gets before its first boot (path relative to / -> text)."""
    if not is_foreign() or settings.RELEASE_NETWORK_STACK[release] != "dhcpcd":
        return {}
    return {"etc/systemd/system/dhcpcd.service.d/lab-qemu.conf": DHCPCD_QEMU}
