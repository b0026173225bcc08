"""Helpers for the SD-card tests: fake boot partitions and tree snapshots."""

from __future__ import annotations

from pathlib import Path

BULLSEYE_CMDLINE = (
    "console=serial0,115200 console=tty1 root=PARTUUID=7788c428-02 rootfstype=ext4 "
    "fsck.repair=yes rootwait quiet init=/usr/lib/raspi-config/init_resize.sh splash "
    "plymouth.ignore-serial-consoles\n"
)
MODERN_CMDLINE = (
    "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
    "fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot splash "
    "plymouth.ignore-serial-consoles\n"
)
IMAGE_DATES = {"bullseye": "2023-05-03", "bookworm": "2024-11-19", "trixie": "2025-12-04"}

PASSWORD = 'Pa ss"wo\\rd#$=é'
WIFI_PASSPHRASE = 'my "wifi" \\ pass #$ ='


def make_boot(path: Path, release: str | None = "bookworm", cmdline: str | None = None) -> Path:
    """A folder laid out like the boot partition of a freshly flashed image."""
    path.mkdir(parents=True, exist_ok=True)
    if cmdline is None:
        cmdline = BULLSEYE_CMDLINE if release == "bullseye" else MODERN_CMDLINE
    (path / "cmdline.txt").write_text(cmdline)
    (path / "config.txt").write_text("# For more options see config.txt docs\ndtparam=audio=on\n")
    (path / "start4.elf").write_bytes(b"\x7fELF-not-really")
    if release is not None:
        (path / "issue.txt").write_text(
            f"Raspberry Pi reference {IMAGE_DATES[release]}\n"
            "Generated using pi-gen, https://github.com/RPi-Distro/pi-gen, "
            "891df1e21ed2b6099a2e6a13e26c91dea44b34d4, stage2\n"
        )
    return path


def snapshot(path: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `path` with its content and mode (to prove nothing changed)."""
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): (p.read_bytes(), p.stat().st_mode & 0o7777)
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }
