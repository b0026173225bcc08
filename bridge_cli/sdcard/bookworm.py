"""Raspberry Pi OS Bookworm: ssh, userconf.txt and custom.toml on the boot partition."""

from __future__ import annotations

import tomllib
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

RELEASE = "bookworm"


def check_ssid(ssid: str) -> None:
    """Every SSID of 1-32 bytes is carried: custom.toml holds it as NM's decimal byte list."""


def build(inp: CardInput) -> ReleaseOutput:
    s = inp.settings
    files = (
        CardFile("ssh", b"", PUBLIC_MODE),
        template(RELEASE, "userconf.txt", inp, SECRET_MODE),
        template(RELEASE, "custom.toml", inp, SECRET_MODE),
    )
    notes = [not_on_card(RELEASE, "locale", s.locale, " (custom.toml has no locale key)")]
    return ReleaseOutput(files, regdom_param(s.wifi_country), tuple(n for n in notes if n))


def previous_hash(boot_dir: Path, user: str) -> str | None:
    found = userconf_hash(boot_dir, user)
    if found:
        return found
    try:
        data = tomllib.loads((boot_dir / "custom.toml").read_text(encoding="utf-8"))
        entry = data["user"]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return None
    if isinstance(entry, dict) and entry.get("name") == user:
        value = entry.get("password")
        return value if isinstance(value, str) else None
    return None


def boot_hostname(card: CardSettings) -> str:
    """The host name the Pi has after first boot."""
    return card.hostname
