"""Raspberry Pi OS Bullseye: ssh, userconf.txt and wpa_supplicant.conf on the boot partition."""

from __future__ import annotations

from pathlib import Path

from bridge_cli.sdcard.base import (
    PUBLIC_MODE,
    SECRET_MODE,
    CardFile,
    CardInput,
    ReleaseOutput,
    not_on_card,
    regdom_param,
    template,
    userconf_hash,
)
from bridge_cli.sdcard.config import CardSettings

RELEASE = "bullseye"


def check_ssid(ssid: str) -> None:
    """Every SSID of 1-32 bytes is carried exactly: wpa_supplicant.conf carries any SSID as hex."""


def build(inp: CardInput) -> ReleaseOutput:
    s = inp.settings
    files = (
        CardFile("ssh", b"", PUBLIC_MODE),
        template(RELEASE, "userconf.txt", inp, SECRET_MODE),
        template(RELEASE, "wpa_supplicant.conf", inp, SECRET_MODE),
    )
    notes = [
        f"hostname: Bullseye's first-boot files cannot set it; the Pi boots as "
        f"'raspberrypi' (find it as raspberrypi.local) until Ansible renames it {s.hostname}",
        not_on_card(RELEASE, "timezone", s.timezone),
        not_on_card(RELEASE, "keymap", s.keymap),
        not_on_card(RELEASE, "locale", s.locale),
    ]
    if inp.ssh_keys:
        notes.append(
            "ssh-key: Bullseye's first-boot files cannot install keys; log in with the "
            "password once (ssh-copy-id), or let Ansible install them"
        )
    return ReleaseOutput(files, regdom_param(s.wifi_country), tuple(n for n in notes if n))


def previous_hash(boot_dir: Path, user: str) -> str | None:
    return userconf_hash(boot_dir, user)


def boot_hostname(card: CardSettings) -> str:
    """The host name the Pi has after first boot."""
    return "raspberrypi"  # no first-boot field for it
