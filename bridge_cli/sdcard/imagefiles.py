"""The cloud-init templates Raspberry Pi OS Trixie images ship on the boot partition.

Images from 2025-11-24 on carry `user-data`, `network-config` and `meta-data` (pi-gen's
stage2 cloud-init step installs them): long comments around a configuration that sets up
nothing of the user's. They are recognised by what they configure, not by their comments
(which change between image releases), and may be replaced without --force. Anything that
configures more (e.g. Raspberry Pi Imager's own files: a user, a WiFi) is foreign.
"""

from __future__ import annotations

import yaml

CLOUD_INIT_FILES = ("user-data", "network-config", "meta-data")

# What the image's template configures, comments removed.
_USER_DATA_KEYS = frozenset({"ssh_pwauth", "disable_piwiz"})
_META_DATA_KEYS = frozenset({"dsmode", "instance_id", "instance-id", "local-hostname"})
_ETH0_TEMPLATE = {"dhcp4": True, "optional": True}


def _load(content: bytes) -> object:
    try:
        return yaml.safe_load(content.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        return _INVALID


_INVALID = object()


def _user_data(content: bytes) -> bool:
    if not content.lstrip().startswith(b"#cloud-config"):
        return False
    data = _load(content)
    if data is None:
        return True
    if not isinstance(data, dict) or not set(data) <= _USER_DATA_KEYS:
        return False
    return data.get("ssh_pwauth", False) is False


def _network_config(content: bytes) -> bool:
    data = _load(content)
    if not isinstance(data, dict) or set(data) != {"network"}:
        return False
    net = data["network"]
    if not isinstance(net, dict) or net.get("version") != 2:
        return False
    if not set(net) <= {"version", "ethernets"}:
        return False
    eths = net.get("ethernets") or {}
    return eths in ({}, {"eth0": _ETH0_TEMPLATE})


def _meta_data(content: bytes) -> bool:
    data = _load(content)
    if data is None:
        return True
    if not isinstance(data, dict) or not set(data) <= _META_DATA_KEYS:
        return False
    iid = data.get("instance-id", data.get("instance_id", "rpios-image"))
    return (
        data.get("dsmode", "local") == "local"
        and data.get("local-hostname") in (None, "raspberrypi")
        and isinstance(iid, str)
        and iid.startswith("rpios")  # Imager writes rpi-imager-<time>: foreign
    )


_CHECKS = {"user-data": _user_data, "network-config": _network_config, "meta-data": _meta_data}


def is_image_template(name: str, content: bytes) -> bool:
    """True when `content` is the image's own (unconfigured) template of file `name`."""
    check = _CHECKS.get(name)
    return bool(check and check(content))
