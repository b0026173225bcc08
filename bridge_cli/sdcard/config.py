"""The validated settings of one card (everything but secrets and SSH keys)."""

from __future__ import annotations

from dataclasses import dataclass

from bridge_cli import settings
from bridge_cli.errors import BridgeInputError

RELEASES = settings.RELEASES
DEFAULT_HOSTNAME = "pvs-bridge"
DEFAULT_USER = "pi"


@dataclass(frozen=True)
class CardSettings:
    hostname: str
    user: str
    wifi_ssid: str
    wifi_country: str
    timezone: str | None = None
    keymap: str | None = None
    locale: str | None = None
    wifi_hidden: bool = False  # the network does not broadcast its SSID


def release_choice(value: str) -> str:
    v = value.strip().lower()
    if v not in ("auto", *RELEASES):
        raise BridgeInputError(
            "release", f"{value!r} is not allowed; use auto, bullseye, bookworm or trixie"
        )
    return v


def validate(
    *,
    hostname: str,
    user: str,
    wifi_ssid: str | None,
    wifi_country: str | None,
    timezone: str | None = None,
    keymap: str | None = None,
    locale: str | None = None,
    wifi_hidden: bool = False,
) -> CardSettings:
    """Validate every plain setting; raise BridgeInputError at the first bad one."""
    if wifi_ssid is None:
        raise BridgeInputError(
            "wifi-ssid", "required: the name of the home WiFi network the bridge joins"
        )
    if wifi_country is None:
        raise BridgeInputError(
            "wifi-country", "required: the ISO 3166 country code of the WiFi (e.g. US, DE)"
        )
    return CardSettings(
        hostname=settings.hostname(hostname),
        user=settings.user(user),
        wifi_ssid=settings.ssid(wifi_ssid),
        wifi_country=settings.country(wifi_country),
        timezone=settings.timezone(timezone) if timezone is not None else None,
        keymap=settings.keymap(keymap) if keymap is not None else None,
        locale=settings.locale(locale) if locale is not None else None,
        wifi_hidden=bool(wifi_hidden),
    )
