"""Which Debian mirror the lab's base images come from: the one this machine's apt uses.

The lab builds its Debian root file systems with debootstrap from the same mirror the
host's apt is configured for (deb822 `*.sources` or one-line `sources.list` entries), so it
works wherever apt works (a local mirror, a proxy) and names no host of its own.
BRIDGE_LAB_MIRROR overrides it.
"""

from __future__ import annotations

import os
from pathlib import Path

from bridge_cli.errors import BridgeFailure

DEBIAN_SUITES = ("bullseye", "bookworm", "trixie", "forky", "sid", "stable", "testing")
APT_DIR = Path("/etc/apt")


def _one_line_entries(text: str) -> list[tuple[str, list[str]]]:
    entries = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 3 or words[0] != "deb":
            continue
        if words[1].startswith("["):  # options: deb [arch=amd64 signed-by=...] URI suite
            while words and not words[1].endswith("]"):
                words.pop(1)
            words.pop(1)
        if len(words) >= 3:
            entries.append((words[1], [words[2]]))
    return entries


def _deb822_entries(text: str) -> list[tuple[str, list[str]]]:
    entries = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled") == "no":
            continue
        suites = fields.get("suites", "").split()
        entries.extend((uri, suites) for uri in fields.get("uris", "").split())
    return entries


def apt_entries(apt_dir: Path = APT_DIR) -> list[tuple[str, list[str]]]:
    """(URI, suites) of every enabled `deb` source of the host's apt."""
    entries: list[tuple[str, list[str]]] = []
    one_line = [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if path.is_file():
            entries += _one_line_entries(path.read_text(errors="replace"))
    for path in sorted((apt_dir / "sources.list.d").glob("*.sources")):
        entries += _deb822_entries(path.read_text(errors="replace"))
    return entries


def debian_mirror(apt_dir: Path = APT_DIR) -> str:
    """The mirror for debootstrap: $BRIDGE_LAB_MIRROR, else the host apt's Debian archive."""
    override = os.environ.get("BRIDGE_LAB_MIRROR")
    if override:
        return override
    for uri, suites in apt_entries(apt_dir):
        if any(suite.split("-")[0] in DEBIAN_SUITES and "-" not in suite for suite in suites):
            return uri.rstrip("/")
    raise BridgeFailure(
        "lab: no Debian archive among this machine's apt sources (/etc/apt); set "
        "BRIDGE_LAB_MIRROR to a Debian mirror URL for debootstrap"
    )
