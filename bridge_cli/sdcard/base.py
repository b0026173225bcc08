"""What every release format produces: files, cmdline.txt parameters, and notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bridge_cli.sdcard import cmdline
from bridge_cli.sdcard.config import CardSettings
from bridge_cli.sdcard.render import render

SECRET_MODE = 0o600  # files holding a password hash or a PSK
PUBLIC_MODE = 0o644


@dataclass(frozen=True)
class CardInput:
    settings: CardSettings
    password_hash: str
    wifi_psk: str  # 64 hex
    ssh_keys: tuple[str, ...] = ()

    def template_context(self) -> dict:
        s = self.settings
        return {
            "hostname": s.hostname,
            "user": s.user,
            "ssid": s.wifi_ssid,
            "hidden": s.wifi_hidden,
            "country": s.wifi_country,
            "timezone": s.timezone,
            "keymap": s.keymap,
            "locale": s.locale,
            "password_hash": self.password_hash,
            "psk": self.wifi_psk,
            "ssh_keys": list(self.ssh_keys),
            "ssh_password_auth": not self.ssh_keys,
        }


@dataclass(frozen=True)
class CardFile:
    name: str
    content: bytes
    mode: int


@dataclass(frozen=True)
class ReleaseOutput:
    files: tuple[CardFile, ...]
    cmdline_params: dict[str, str]
    notes: tuple[str, ...] = field(default=())


def template(release: str, name: str, inp: CardInput, mode: int, **extra) -> CardFile:
    text = render(f"{release}/{name}.j2", **inp.template_context(), **extra)
    return CardFile(name, text.encode("utf-8"), mode)


def regdom_param(country: str) -> dict[str, str]:
    return {cmdline.REGDOM: f"{cmdline.REGDOM}{country}"}


def not_on_card(release: str, what: str, value: str | None, extra: str = "") -> str | None:
    if value is None:
        return None
    return (
        f"{what}: the {release} first-boot files have no field for it; "
        f"the Ansible roles set it{extra}"
    )


def userconf_hash(boot_dir: Path, user: str) -> str | None:
    """The hash in an existing userconf.txt for `user` (reused when the password matches)."""
    try:
        line = (boot_dir / "userconf.txt").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    name, _, hashed = line.partition(":")
    return hashed if name == user and hashed else None
