"""Editing cmdline.txt: one line of kernel parameters, changed idempotently."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bridge_cli.errors import BridgeInputError

NAME = "cmdline.txt"
REGDOM = "cfg80211.ieee80211_regdom="
NOCLOUD = "ds=nocloud"
FIRSTRUN = "systemd.run="


@dataclass(frozen=True)
class Cmdline:
    tokens: tuple[str, ...]
    newline: str  # what ended the line ("" when nothing did)
    original: bytes

    def render(self) -> bytes:
        return (" ".join(self.tokens) + self.newline).encode("utf-8")


def parse(raw: bytes, field: str = "boot-dir") -> Cmdline:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BridgeInputError(
            field, f"{NAME} is not UTF-8 text; is this a Pi boot partition?"
        ) from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise BridgeInputError(field, f"{NAME} is empty; a Pi boot partition's has one line")
    if len(lines) > 1:
        raise BridgeInputError(
            field,
            f"{NAME} has {len(lines)} lines but the Pi reads only the first; "
            "join them into one line first",
        )
    newline = "\r\n" if text.endswith("\r\n") else ("\n" if text.endswith("\n") else "")
    return Cmdline(tuple(lines[0].split()), newline, raw)


def read(boot_dir: Path) -> Cmdline:
    return parse((boot_dir / NAME).read_bytes())


def set_param(tokens: tuple[str, ...], prefix: str, token: str) -> tuple[str, ...]:
    """Put `token` in place of the first token starting with `prefix`; drop the others.

    Without such a token, `token` is appended. Running it twice changes nothing.
    """
    out: list[str] = []
    placed = False
    for t in tokens:
        if t.startswith(prefix):
            if not placed:
                out.append(token)
                placed = True
            continue
        out.append(t)
    if not placed:
        out.append(token)
    return tuple(out)


def edit(cmdline: Cmdline, params: dict[str, str]) -> Cmdline:
    """`params` maps a prefix (e.g. REGDOM) to the whole token to set."""
    tokens = cmdline.tokens
    for prefix, token in params.items():
        tokens = set_param(tokens, prefix, token)
    return Cmdline(tokens, cmdline.newline, cmdline.original)


def runs_firstrun(cmdline: Cmdline) -> bool:
    return any(t.startswith(FIRSTRUN) for t in cmdline.tokens)
