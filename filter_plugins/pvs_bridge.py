"""Ansible filters shared by the pvs-bridge roles.

The validation rules and the WiFi PSK derivation live in ``bridge_cli`` (settings.py and
secrets.py); these filters only call them, so the CLI, the SD-card writer and the roles
judge an SSID, a country or a hostname the same way and derive the same PSK.
"""

from __future__ import annotations

import ipaddress
import re

from bridge_cli import bridge_tls, secrets, settings
from bridge_cli.errors import BridgeInputError

_VALIDATORS = {
    "hostname": settings.hostname,
    "timezone": settings.timezone,
    "locale": settings.locale,
    "country": settings.country,
    "ssid": settings.ssid,
    "wifi_passphrase": settings.wifi_passphrase,
    "ipv4_address": settings.ipv4_address,
    "port": settings.port,
}

_IFACE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,15}$")
_PLAIN_SSID_RE = re.compile(r"^[A-Za-z0-9 _.+@#()\[\]-]+$")

NETWORK_STACKS = ("dhcpcd", "networkmanager", "netplan")


def _interface(value, field):
    if not isinstance(value, str) or not _IFACE_RE.match(value):
        raise BridgeInputError(
            field, f"{value!r} is not a network interface name (1-15 letters, digits, _.:-)"
        )
    return value


def _ipv4_network(value, field):
    try:
        return str(ipaddress.IPv4Network(value.strip(), strict=True))
    except ValueError:
        raise BridgeInputError(
            field, f"{value!r} is not an IPv4 network such as 172.27.153.0/24"
        ) from None


_VALIDATORS["interface"] = _interface
_VALIDATORS["ipv4_network"] = _ipv4_network


def pvs_bridge_invalid(value, kind: str, field: str) -> str:
    """'' when ``value`` is a valid ``kind``, else one line 'field: what is allowed'.

    Used by the roles' assert tasks: ``that: (x | pvs_bridge_invalid('port', 'x')) == ''``.
    Messages about secrets never repeat the value (settings.py guarantees it).
    """
    try:
        validator = _VALIDATORS[kind]
    except KeyError:
        return f"{field}: unknown validation kind {kind!r}"
    if value is None:
        return f"{field}: must be set"
    if kind != "port" and not isinstance(value, str):
        return f"{field}: must be a string"
    try:
        validator(value, field)
    except BridgeInputError as exc:
        return str(exc)
    return ""


def pvs_bridge_tls_invalid(certificate: str, key: str, field: str = "bridge_proxy_tls") -> str:
    """'' when CERTIFICATE and KEY (files on the controller) are a PEM certificate and its
    unencrypted key, or both empty (the bridge makes its own); else one line."""
    if not certificate and not key:
        return ""
    if not certificate or not key:
        return f"{field}_certificate / {field}_key: give both files, or neither"
    try:
        bridge_tls.load_certificate(certificate, f"{field}_certificate")
        bridge_tls.check_key_matches(certificate, key, f"{field}_key")
    except BridgeInputError as exc:
        return str(exc)
    return ""


_SET_ENTRY_RE = re.compile(r"^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*(=[A-Za-z0-9_.:-]*)?$")


def _allowed_set(value, field):
    """A new-API variable path (/sys/telemetryws/enable) with an optional =value."""
    if not isinstance(value, str) or not _SET_ENTRY_RE.match(value) or "/../" in value + "/":
        raise BridgeInputError(
            field,
            f"{value!r} is not a variable path such as /sys/telemetryws/enable=1 "
            "(letters, digits, _ . - between /, then optionally =value)",
        )
    return value


_VALIDATORS["allowed_set"] = _allowed_set


def pvs_bridge_wifi_psk(passphrase: str, ssid: str) -> str:
    """The 64-hex raw PSK for ``ssid`` (as wpa_passphrase writes); a raw PSK passes through."""
    return secrets.wifi_psk(ssid, passphrase)


def pvs_bridge_wpa_ssid(ssid: str) -> str:
    """The ssid= value for wpa_supplicant.conf: quoted when plain, else hex (always safe)."""
    if _PLAIN_SSID_RE.match(ssid):
        return f'"{ssid}"'
    return ssid.encode("utf-8").hex()


def pvs_bridge_nm_ssid(ssid: str) -> str:
    """The ssid= value for a NetworkManager keyfile: plain text, or a byte list when special
    (also when it starts or ends with a space, which a keyfile would drop)."""
    if _PLAIN_SSID_RE.match(ssid) and ssid == ssid.strip():
        return ssid
    return ";".join(str(b) for b in ssid.encode("utf-8")) + ";"


def pvs_bridge_network_stack(facts: dict, override: str = "auto") -> str:
    """Which stack manages the network, from the host's facts, not its distribution name.

    ``facts``: ``services`` (ansible's service_facts), ``netplan_configs`` (number of
    /etc/netplan/*.yaml files) and ``netplan_binary`` (bool). Order: netplan (it renders
    the others' config, so writing NM/dhcpcd files under it would be overwritten),
    NetworkManager, dhcpcd. Returns '' when nothing is recognised.
    """
    if override and override != "auto":
        return override
    services = facts.get("services") or {}

    def present(name: str) -> bool:
        svc = services.get(name) or services.get(name.removesuffix(".service"))
        if not svc:
            return False
        return svc.get("state") == "running" or svc.get("status") in ("enabled", "static")

    nm = present("NetworkManager.service")
    if facts.get("netplan_binary") and int(facts.get("netplan_configs") or 0) > 0:
        return "netplan"
    if nm:
        return "networkmanager"
    if present("dhcpcd.service"):
        return "dhcpcd"
    return ""


class FilterModule:
    def filters(self):
        return {
            "pvs_bridge_invalid": pvs_bridge_invalid,
            "pvs_bridge_tls_invalid": pvs_bridge_tls_invalid,
            "pvs_bridge_wifi_psk": pvs_bridge_wifi_psk,
            "pvs_bridge_wpa_ssid": pvs_bridge_wpa_ssid,
            "pvs_bridge_nm_ssid": pvs_bridge_nm_ssid,
            "pvs_bridge_network_stack": pvs_bridge_network_stack,
        }
