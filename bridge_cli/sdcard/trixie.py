"""Raspberry Pi OS Trixie: cloud-init user-data, network-config and meta-data (NoCloud).

cmdline.txt gets `ds=nocloud;i=<instance-id>`. The instance-id is derived from the
content, so rewriting the same settings keeps it, and changed settings get a new one
(cloud-init applies a new instance-id again on the next boot).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from bridge_cli.errors import BridgeInputError
from bridge_cli.sdcard import cmdline
from bridge_cli.sdcard.base import (
    PUBLIC_MODE,
    SECRET_MODE,
    CardInput,
    ReleaseOutput,
    regdom_param,
    template,
)
from bridge_cli.sdcard.config import CardSettings

RELEASE = "trixie"
# What NetworkManager's keyfile reader takes as an SSID's bytes instead of its text:
# numbers, each followed by ';' ("1;2;3;"). netplan writes the SSID into the keyfile as it is.
_NM_BYTE_LIST = re.compile(r"\s*(\d+\s*;\s*)+")


def check_ssid(ssid: str) -> None:
    """Refuse what cloud-init -> netplan -> NetworkManager cannot carry exactly."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in ssid):
        raise BridgeInputError(
            "wifi-ssid",
            "has a control character (newline, tab, ...); on Trixie netplan writes it into "
            "NetworkManager's profile as a literal backslash escape, so the Pi would look "
            "for another network (Bullseye and Bookworm cards carry it)",
        )
    if _NM_BYTE_LIST.fullmatch(ssid):
        raise BridgeInputError(
            "wifi-ssid",
            f"{ssid!r} looks like a byte list (numbers each followed by ';'), which "
            "NetworkManager on Trixie reads as bytes, not as this text (Bullseye and "
            "Bookworm cards carry it)",
        )


def instance_id(*contents: bytes) -> str:
    digest = hashlib.sha256(b"\0".join(contents)).hexdigest()
    return f"pvs-bridge-{digest[:16]}"


def build(inp: CardInput) -> ReleaseOutput:
    user_data = template(RELEASE, "user-data", inp, SECRET_MODE)
    network_config = template(RELEASE, "network-config", inp, SECRET_MODE)
    iid = instance_id(user_data.content, network_config.content)
    meta_data = template(RELEASE, "meta-data", inp, PUBLIC_MODE, instance_id=iid)
    params = regdom_param(inp.settings.wifi_country)
    params[cmdline.NOCLOUD] = f"{cmdline.NOCLOUD};i={iid}"
    return ReleaseOutput((user_data, network_config, meta_data), params)


def previous_hash(boot_dir: Path, user: str) -> str | None:
    try:
        data = yaml.safe_load((boot_dir / "user-data").read_text(encoding="utf-8"))
        entry = data["user"]
    except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError, TypeError):
        return None
    if isinstance(entry, dict) and entry.get("name") == user:
        value = entry.get("hashed_passwd", entry.get("passwd"))
        return value if isinstance(value, str) else None
    return None


def boot_hostname(card: CardSettings) -> str:
    """The host name the Pi has after first boot."""
    return card.hostname
