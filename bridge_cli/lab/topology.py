"""The lab's fixed addressing and names: one place for every number the lab uses.

Each lab lives in its own three network namespaces, so every lab reuses the same addresses;
only the namespace names (prefixed by the lab's name) differ.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from bridge_cli import settings
from bridge_cli.errors import BridgeInputError
from bridge_cli.settings import PVS_DEFAULT_ADDRESS

# Namespace and machine names start with this; BRIDGE_LAB_PREFIX lets several test runs
# (e.g. two checkouts) use the lab at once without touching each other's labs.
PREFIX = os.environ.get("BRIDGE_LAB_PREFIX") or "pvsb"
if not re.fullmatch(r"[a-z][a-z0-9]{0,5}", PREFIX):
    raise SystemExit("BRIDGE_LAB_PREFIX: 1-6 lower-case letters and digits, starting with a letter")
RELEASES = settings.RELEASES
DEFAULT_RELEASE = "bookworm"
DEFAULT_NAME = "default"

# PVS side (what a PVS5/PVS6 LAN1 port looks like).
PVS_ADDRESS = PVS_DEFAULT_ADDRESS
PVS_PREFIXLEN = 24
PVS_DHCP_RANGE = ("172.27.153.10", "172.27.153.50")

# Home LAN side (a stand-in for the home WiFi; the router is the lab's dnsmasq).
HOME_ROUTER = "10.77.0.1"
HOME_PREFIXLEN = 24
HOME_DHCP_RANGE = ("10.77.0.100", "10.77.0.200")
BRIDGE_HOME_ADDRESS = "10.77.0.10"  # reserved for the bridge's wlan0 MAC

# Fixed MACs of the bridge's two interfaces (locally administered).
ETH0_MAC = "02:b7:1d:9e:00:01"
WLAN0_MAC = "02:b7:1d:9e:00:02"

SSH_USER = "bridge"

_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$")


def lab_name(value: str, field: str = "name") -> str:
    """Validate a lab name: it becomes part of namespace and machine names."""
    if not _NAME_RE.match(value or ""):
        raise BridgeInputError(
            field,
            f"{value!r} is not a lab name; allowed: 1-24 lower-case letters, digits and "
            "hyphens, not starting or ending with a hyphen",
        )
    return value


def release(value: str, field: str = "release") -> str:
    if value not in RELEASES:
        raise BridgeInputError(field, f"{value!r} is not supported; allowed: {', '.join(RELEASES)}")
    return value


def firmware(value: str | None, field: str = "firmware") -> str | None:
    """The simulated PVS firmware: `legacy` or a build number (e.g. 61840)."""
    if value is None or value == "legacy" or (value.isdigit() and 0 < int(value) < 10**6):
        return value
    raise BridgeInputError(field, f"{value!r} is not allowed; use 'legacy' or a build number")


@dataclass(frozen=True)
class Names:
    """The host-visible names of one lab's parts."""

    lab: str

    @property
    def pvs_ns(self) -> str:
        return f"{PREFIX}-{self.lab}-pvs"

    @property
    def home_ns(self) -> str:
        return f"{PREFIX}-{self.lab}-home"

    @property
    def pi_ns(self) -> str:
        return f"{PREFIX}-{self.lab}-pi"

    @property
    def namespaces(self) -> tuple[str, str, str]:
        return (self.pvs_ns, self.home_ns, self.pi_ns)

    @property
    def machine(self) -> str:
        return f"{PREFIX}-{self.lab}"
