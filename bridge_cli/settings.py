"""The facts that describe a bridge, and their validation: the one place for these rules.

The SD-card writer, the CLI, the doctor and the Ansible filter plugin all call these
functions, so an SSID, passphrase, country or hostname is judged the same way everywhere.
Each validator returns the normalised value or raises BridgeInputError(field, message).
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from functools import lru_cache

# Relative imports only, and only stdlib besides: the Ansible collection carries a verbatim
# copy of this module (plugins/module_utils/pvs_bridge/, scripts/gen_reference.py).
from .errors import BridgeInputError
from .iso3166 import COUNTRY_CODES

# The Raspberry Pi OS releases a bridge runs, and the network stack each manages its
# interfaces with (pi-os-first-boot.md): the SD card, the lab, the roles' detection and
# their argument specs (checked by a test) all take them from here.
RELEASES = ("bullseye", "bookworm", "trixie")
NETWORK_STACKS = ("dhcpcd", "networkmanager", "netplan")
RELEASE_NETWORK_STACK = {"bullseye": "dhcpcd", "bookworm": "networkmanager", "trixie": "netplan"}

PVS_DEFAULT_ADDRESS = "172.27.153.1"
PVS_SUBNET = ipaddress.ip_network("172.27.153.0/24")

_HOSTNAME_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_USER_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_HEX64_RE = re.compile(r"^[0-9a-fA-F]{64}$")
_LOCALE_RE = re.compile(r"^[a-zA-Z]{2,3}(_[A-Z]{2})?(\.[A-Za-z0-9-]+)?(@[a-z]+)?$")
_IFACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$")
_SERIAL_RAW_RE = re.compile(r"^[A-Za-z0-9\s-]*$")
PVS_SERIAL_EXAMPLE = "ZT190585000549A6185"
PVS_SERIAL_LENGTH = 19
PVS_SERIAL_MIN = 15  # position 15 holds the hardware variant letter
PVS_SERIAL_MAX = 32
_KEYMAP_RE = re.compile(r"^[a-z]{2,12}([-_][a-z0-9]{1,16})?$")


def hostname(value: str, field: str = "hostname") -> str:
    v = value.strip().lower()
    if not _HOSTNAME_RE.match(v):
        raise BridgeInputError(
            field,
            f"{value!r} is not a valid host name; allowed: 1-63 letters, digits and "
            "hyphens, not starting or ending with a hyphen (RFC 1123 label)",
        )
    return v


# Names Raspberry Pi OS images (Bullseye to Trixie, Lite and desktop) already use for system
# accounts or groups: Debian's base-passwd fixed ids, the system users Debian packages add,
# and the groups the first user joins. The first-boot rename (`usermod -l NAME -m -d
# /home/NAME` in userconf-pi) or cloud-init's useradd would then take over or move a system
# account's home (e.g. /usr/sbin for daemon). `pi` is the image's own first user: allowed.
RESERVED_USERS = frozenset(
    {
        # base-passwd users
        "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news",
        "uucp", "proxy", "www-data", "backup", "list", "irc", "gnats", "nobody",
        # system users added by packages on the images
        "messagebus", "sshd", "polkitd", "avahi", "dnsmasq", "tss", "rtkit", "lightdm",
        "pulse", "saned", "colord", "usbmux", "hplip", "nm-openvpn", "sddm", "geoclue",
        "statd", "tcpdump", "ntp", "dhcpcd", "cups", "cups-browsed", "speech-dispatcher",
        "rpi-first-boot-wizard", "uuidd", "bluetooth", "netdev",
        # groups (a user of that name would join or shadow them)
        "adm", "tty", "disk", "kmem", "dialout", "fax", "voice", "cdrom", "floppy", "tape",
        "sudo", "audio", "dip", "operator", "src", "shadow", "utmp", "video", "sasl",
        "plugdev", "staff", "users", "nogroup", "input", "render", "kvm", "crontab",
        "ssl-cert", "lpadmin", "gpio", "i2c", "spi", "sgx", "clock", "wheel",
    }
)  # fmt: skip
_RESERVED_PREFIXES = ("systemd-",)


def user(value: str, field: str = "user") -> str:
    if value == "root" or not _USER_RE.match(value):
        raise BridgeInputError(
            field,
            f"{value!r} is not allowed; use 1-32 characters: a lower-case letter, then "
            "lower-case letters, digits or hyphens (not 'root')",
        )
    if value in RESERVED_USERS or value.startswith(_RESERVED_PREFIXES):
        raise BridgeInputError(
            field,
            f"{value!r} is a system account or group of Raspberry Pi OS; the first-boot "
            "rename would take it over; choose another name (e.g. pi or admin)",
        )
    return value


def country(value: str, field: str = "wifi-country") -> str:
    v = value.strip().upper()
    if v not in COUNTRY_CODES:
        raise BridgeInputError(
            field, f"{value!r} is not an ISO 3166 alpha-2 country code (e.g. US, DE, GB)"
        )
    return v


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone(value: str, field: str = "timezone") -> str:
    if value not in _timezones():
        raise BridgeInputError(
            field, f"{value!r} is not in the tz database (e.g. America/Los_Angeles, UTC)"
        )
    return value


def locale(value: str, field: str = "locale") -> str:
    if not _LOCALE_RE.match(value):
        raise BridgeInputError(field, f"{value!r} is not a locale name (e.g. en_US.UTF-8)")
    return value


def keymap(value: str, field: str = "keymap") -> str:
    if not _KEYMAP_RE.match(value):
        raise BridgeInputError(field, f"{value!r} is not a keyboard layout (e.g. us, de, gb)")
    return value


def interface(value: str, field: str = "interface") -> str:
    """A Linux interface name: 1-15 letters, digits, '_', '.', '-', not starting with a
    sign (eth0, eth1, enx00e04c680001, wlan0)."""
    if not isinstance(value, str) or not _IFACE_RE.match(value):
        raise BridgeInputError(
            field,
            f"{value!r} is not a network interface name; use 1-15 letters, digits, '_', '.', '-' "
            "(e.g. eth0, eth1)",
        )
    return value


def pvs_serial(raw: str, field: str = "serial") -> str:
    """A PVS serial: trimmed, upper case, spaces and dashes dropped; letters and digits,
    15-32 of them (real ones have 19, e.g. ZT190585000549A6185)."""
    if not isinstance(raw, str) or not _SERIAL_RAW_RE.match(raw):
        bad = sorted({c for c in str(raw) if not (c.isascii() and (c.isalnum() or c in " -\t"))})
        shown = ", ".join(repr(c) for c in bad[:5])
        raise BridgeInputError(
            field,
            f"contains {shown}; allowed: letters A-Z and digits 0-9 (spaces and dashes are "
            f"ignored), e.g. {PVS_SERIAL_EXAMPLE}",
        )
    serial = re.sub(r"[\s-]+", "", raw).upper()
    if len(serial) < PVS_SERIAL_MIN:
        raise BridgeInputError(
            field,
            f"too short ({len(serial)} characters); a PVS serial has {PVS_SERIAL_LENGTH} "
            f"letters and digits (at least {PVS_SERIAL_MIN} are needed), e.g. "
            f"{PVS_SERIAL_EXAMPLE}",
        )
    if len(serial) > PVS_SERIAL_MAX:
        raise BridgeInputError(
            field,
            f"too long ({len(serial)} characters); a PVS serial has {PVS_SERIAL_LENGTH} "
            f"letters and digits, e.g. {PVS_SERIAL_EXAMPLE}",
        )
    return serial


def ssid(value: str, field: str = "wifi-ssid") -> str:
    n = len(value.encode("utf-8"))
    if n == 0 or n > 32:
        raise BridgeInputError(field, f"must be 1-32 bytes in UTF-8 (got {n} bytes)")
    return value


def wpa_conf_ssid(value: str) -> str:
    """The `ssid=` value of a wpa_supplicant.conf network block (the card and the role).

    wpa_supplicant takes a quoted string literally (no escapes), so plain printable ASCII
    without a double quote is written "quoted"; anything else as the hex of its UTF-8
    bytes, which wpa_supplicant reads exactly.
    """
    if value and all(0x20 <= ord(c) <= 0x7E for c in value) and '"' not in value:
        return f'"{value}"'
    return value.encode("utf-8").hex()


def nm_keyfile_ssid(value: str) -> str:
    """The `ssid=` value of a NetworkManager keyfile (the card and the role): the SSID as
    NM's decimal byte list, "Home" -> "72;111;109;101;".

    NM's keyfile reader takes a value made only of numbers 0-255, each followed by ';', as
    the SSID's bytes; any other value is text with GKeyFile escapes (\\s, \\n, ...). The list
    is plain ASCII digits, so every SSID reaches NM exactly, also through a copy that does
    not escape (Bookworm's `imager_custom set_wlan` writes `ssid=` raw).
    """
    return "".join(f"{b};" for b in value.encode("utf-8"))


def wifi_passphrase(value: str, field: str = "wifi-psk") -> str:
    """A WPA passphrase (8-63 printable ASCII) or a raw PSK (exactly 64 hex digits).

    The message never repeats the value: it is a secret.
    """
    if _HEX64_RE.match(value):
        return value.lower()
    if not 8 <= len(value) <= 63:
        raise BridgeInputError(
            field,
            f"must be 8-63 printable ASCII characters or 64 hex digits (got {len(value)} "
            "characters)",
        )
    if any(not 32 <= ord(c) <= 126 for c in value):
        raise BridgeInputError(
            field, "must be printable ASCII (space to ~); it contains another character"
        )
    return value


def is_raw_psk(value: str) -> bool:
    return bool(_HEX64_RE.match(value))


def ipv4_address(value: str, field: str = "address") -> str:
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ipaddress.AddressValueError:
        raise BridgeInputError(field, f"{value!r} is not an IPv4 address") from None


def port(value: int | str, field: str = "port") -> int:
    try:
        p = int(value)
    except (TypeError, ValueError):
        raise BridgeInputError(field, f"{value!r} is not a port number (1-65535)") from None
    if not 1 <= p <= 65535:
        raise BridgeInputError(field, f"{value!r} is not a port number (1-65535)")
    return p


def login_password(value: str, field: str = "password") -> str:
    """A login password: 1-1024 characters, no NUL, CR or LF. Never echoed in messages."""
    if not value:
        raise BridgeInputError(field, "must not be empty")
    if len(value) > 1024:
        raise BridgeInputError(field, f"must be at most 1024 characters (got {len(value)})")
    if any(c in value for c in "\x00\r\n"):
        raise BridgeInputError(field, "must be a single line without NUL characters")
    return value
