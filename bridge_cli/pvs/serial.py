"""What a PVS serial number tells: hardware variant, commissioning hotspot, API login.

Rules (see README.md and the PVS field notes), positions 1-based:
- normalise: trim, upper-case, drop spaces and dashes; then only A-Z and 0-9 are allowed;
- PVS6 hardware variant: the letter at position 15 (A = part 529027 with Ethernet ports,
  W = part 60232 without Ethernet ports, USB Ethernet dongle needed);
- commissioning hotspot: SSID "SunPower" + characters 5-6 + the last 3 characters,
  password = characters 3-6 + the last 4 characters;
- new-firmware local API (build 61840+): user "ssm_owner", password = the last 5 characters.
"""

from __future__ import annotations

import textwrap
from dataclasses import asdict, dataclass, field

from bridge_cli import settings

EXAMPLE_SERIAL = settings.PVS_SERIAL_EXAMPLE
EXPECTED_LENGTH = settings.PVS_SERIAL_LENGTH
MIN_LENGTH = settings.PVS_SERIAL_MIN
MAX_LENGTH = settings.PVS_SERIAL_MAX
API_USER = "ssm_owner"
APPROVED_DONGLES = ("Plugable USB2-E1000", "Cable Matters 202023")



@dataclass(frozen=True)
class Variant:
    letter: str
    known: bool
    part_number: str | None
    ethernet_ports: tuple[str, ...]
    description: str
    bridge_connection: str


@dataclass(frozen=True)
class SerialInfo:
    serial: str
    variant: Variant
    hotspot_ssid: str
    hotspot_password: str
    api_user: str
    api_password: str
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        v = asdict(self.variant)
        v["ethernet_ports"] = list(self.variant.ethernet_ports)
        return {
            "serial": self.serial,
            "variant": v,
            "hotspot": {"ssid": self.hotspot_ssid, "password": self.hotspot_password},
            "api_login": {"user": self.api_user, "password": self.api_password},
            "warnings": list(self.warnings),
        }


_VARIANTS = {
    "A": Variant(
        letter="A",
        known=True,
        part_number="529027",
        ethernet_ports=("LAN1", "WAN/LAN2"),
        description="PVS6 with Ethernet ports LAN1 and WAN/LAN2",
        bridge_connection=(
            "Plug the bridge's Ethernet cable into LAN1 (the installer port, where the PVS "
            "answers on 172.27.153.1); WAN/LAN2 is the PVS's own Internet uplink."
        ),
    ),
    "W": Variant(
        letter="W",
        known=True,
        part_number="60232",
        ethernet_ports=(),
        description="PVS6 without Ethernet ports (USB ports for an Ethernet dongle)",
        bridge_connection=(
            "Needs an approved USB Ethernet dongle ("
            + " or ".join(APPROVED_DONGLES)
            + "), plugged in while the PVS is powered off (it is not detected while running;"
            " power-cycle after plugging in). Per SunPower the dongle goes into USB port 3,"
            " labelled WAN/LAN2, or into port 2, labelled LAN1, when an SMA US-40 inverter is"
            " present; with a SunVault a dongle is pre-installed in port 2 (LAN1) of the Hub+."
            " The bridge's Ethernet cable then goes into that dongle."
        ),
    ),
}


def _unknown_variant(letter: str) -> Variant:
    return Variant(
        letter=letter,
        known=False,
        part_number=None,
        ethernet_ports=(),
        description=f"unknown hardware variant {letter!r} (PVS6 serials have A or W here)",
        bridge_connection=(
            "Look inside the box: Ethernet ports LAN1 and WAN/LAN2 mean the bridge plugs into "
            "LAN1; only USB ports mean an approved USB Ethernet dongle is needed."
        ),
    )


def normalise(raw: str) -> str:
    """Trim, upper-case, drop spaces and dashes; raise on any other character or length
    (the rule is settings.pvs_serial, shared with the doctor, simulator and roles)."""
    return settings.pvs_serial(raw, "serial")


def variant(serial: str) -> Variant:
    letter = serial[14]
    return _VARIANTS.get(letter) or _unknown_variant(letter)


def hotspot_ssid(serial: str) -> str:
    return "SunPower" + serial[4:6] + serial[-3:]


def hotspot_password(serial: str) -> str:
    return serial[2:6] + serial[-4:]


def api_password(serial: str) -> str:
    return serial[-5:]


def info(raw: str) -> SerialInfo:
    """Everything a serial tells. Raises BridgeInputError for unusable serials."""
    serial = normalise(raw)
    v = variant(serial)
    warnings: list[str] = []
    if not serial.startswith("ZT"):
        warnings.append(
            f"serial: starts with {serial[:2]!r}, not 'ZT' like PVS5/PVS6 serials; "
            "check the sticker (the derived values may be wrong)"
        )
    if len(serial) != EXPECTED_LENGTH:
        warnings.append(
            f"serial: has {len(serial)} characters, PVS serials have {EXPECTED_LENGTH}; "
            "check the sticker"
        )
    if not v.known:
        warnings.append(
            f"serial: unknown hardware variant letter {v.letter!r} at position 15 "
            "(PVS6 serials have A or W there)"
        )
    return SerialInfo(
        serial=serial,
        variant=v,
        hotspot_ssid=hotspot_ssid(serial),
        hotspot_password=hotspot_password(serial),
        api_user=API_USER,
        api_password=api_password(serial),
        warnings=tuple(warnings),
    )


def render_text(si: SerialInfo) -> str:
    """The human-readable report of `bridge-cli pvs info`."""
    v = si.variant
    part = f"part {v.part_number}" if v.part_number else "part unknown"
    ports = ", ".join(v.ethernet_ports) if v.ethernet_ports else "none"
    lines = [
        f"Serial:            {si.serial}",
        f"Hardware variant:  {v.letter} = {v.description} ({part})",
        f"Ethernet ports:    {ports}",
        "Connecting:",
        *textwrap.wrap(v.bridge_connection, 88, initial_indent="  ", subsequent_indent="  "),
        "Commissioning WiFi (first 4 hours after power-up, until commissioned):",
        f"  SSID:            {si.hotspot_ssid}",
        f"  password:        {si.hotspot_password}",
        "Local API login (firmware build 61840 and later, HTTPS):",
        f"  user:            {si.api_user}",
        f"  password:        {si.api_password}",
    ]
    return "\n".join(lines)
