"""Raspberry Pi OS Trixie: cloud-init user-data, network-config and meta-data (NoCloud).

cmdline.txt gets `ds=nocloud;i=<instance-id>`. The instance-id is derived from the
content, so rewriting the same settings keeps it, and changed settings get a new one
(cloud-init applies a new instance-id again on the next boot).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

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
        value = entry.get("passwd")
        return value if isinstance(value, str) else None
    return None


def boot_hostname(card: CardSettings) -> str:
    """The host name the Pi has after first boot."""
    return card.hostname
