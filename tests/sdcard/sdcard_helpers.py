"""Helpers for the SD-card tests: fake boot partitions and tree snapshots."""

from __future__ import annotations

from pathlib import Path

# Card fixtures laid out like freshly flashed Raspberry Pi OS Lite images: the boot
# partition's cmdline.txt (one line, the release's first-boot init), config.txt, issue.txt
# (pi-gen's stamp) and, on Trixie (images from 2025-11-24), the cloud-init templates pi-gen
# installs (stage2 cloud-init step): comments around a configuration of nothing of the
# user's. The comments here are our own words; what they configure is the image's.
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
TRIXIE_CMDLINE = (
    "console=serial0,115200 console=tty1 root=PARTUUID=1b3f4a2c-02 rootfstype=ext4 "
    "fsck.repair=yes rootwait quiet splash plymouth.ignore-serial-consoles\n"
)
CMDLINES = {"bullseye": BULLSEYE_CMDLINE, "bookworm": MODERN_CMDLINE, "trixie": TRIXIE_CMDLINE}
IMAGE_DATES = {"bullseye": "2023-05-03", "bookworm": "2024-11-19", "trixie": "2025-12-04"}
CONFIG_TXT = {
    "bullseye": "# For more options and information see\n# http://rptl.io/configtxt\n"
    "dtparam=audio=on\ncamera_auto_detect=1\ndisplay_auto_detect=1\n"
    "dtoverlay=vc4-kms-v3d\nmax_framebuffers=2\narm_boost=1\n\n[cm4]\notg_mode=1\n\n[all]\n",
    "bookworm": "# For more options and information see\n# http://rptl.io/configtxt\n"
    "dtparam=audio=on\ncamera_auto_detect=1\ndisplay_auto_detect=1\nauto_initramfs=1\n"
    "dtoverlay=vc4-kms-v3d\nmax_framebuffers=2\ndisable_fw_kms_setup=1\narm_64bit=1\n"
    "disable_overscan=1\narm_boost=1\n\n[cm4]\notg_mode=1\n\n[cm5]\ndtoverlay=dwc2,dr_mode=host\n"
    "\n[all]\n",
}
CONFIG_TXT["trixie"] = CONFIG_TXT["bookworm"]
TRIXIE_TEMPLATES = {
    "user-data": "#cloud-config\n\n# cloud-init reads this file at first boot. Uncomment and edit\n"
    "# the examples below; see the cloud-init documentation.\n\n"
    "#hostname: raspberrypi\n#keyboard:\n#  layout: gb\n\n"
    "# Password logins over SSH stay off unless enabled here.\nssh_pwauth: false\n\n"
    "#users:\n#- name: robot\n#  lock_passwd: false\n#  passwd: $5$salt$hash\n"
    "#packages:\n#- avahi-daemon\n#runcmd:\n#- [ ls, -l, / ]\n",
    "network-config": "# netplan-style network configuration, applied by cloud-init on the\n"
    "# first boot only. See the netplan reference.\n\nnetwork:\n  version: 2\n\n"
    "  ethernets:\n    eth0:\n      dhcp4: true\n      optional: true\n\n"
    "#  wifis:\n#    wlan0:\n#      dhcp4: true\n#      access-points:\n"
    '#        myhomewifi:\n#          password: "S3kr1t"\n#      regulatory-domain: GB\n',
    "meta-data": "# meta-data for cloud-init's NoCloud source.\n\n"
    "# local: apply user-data before the network comes up.\ndsmode: local\n\n"
    "# A changed id makes cloud-init run its first-boot setup again.\n"
    "instance_id: rpios-image\n",
}

PASSWORD = 'Pa ss"wo\\rd#$=é'
WIFI_PASSPHRASE = 'my "wifi" \\ pass #$ ='


def make_boot(path: Path, release: str | None = "bookworm", cmdline: str | None = None) -> Path:
    """A folder laid out like the boot partition of a freshly flashed image.

    `release` None: a boot partition without issue.txt nor first-boot init (a card that
    has booted once, or an unknown image).
    """
    path.mkdir(parents=True, exist_ok=True)
    if cmdline is None:
        cmdline = CMDLINES[release] if release else TRIXIE_CMDLINE
    (path / "cmdline.txt").write_text(cmdline)
    (path / "config.txt").write_text(CONFIG_TXT[release or "bookworm"])
    (path / "start4.elf").write_bytes(b"\x7fELF-not-really")
    if release is not None:
        (path / "issue.txt").write_text(
            f"Raspberry Pi reference {IMAGE_DATES[release]}\n"
            "Generated using pi-gen, https://github.com/RPi-Distro/pi-gen, "
            "891df1e21ed2b6099a2e6a13e26c91dea44b34d4, stage2\n"
        )
    if release == "trixie":
        for name, text in TRIXIE_TEMPLATES.items():
            (path / name).write_text(text)
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
