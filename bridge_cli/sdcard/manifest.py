"""A record on the card of the files this tool wrote, so a rerun may replace them.

The record holds a fingerprint per file: the SHA-256 of the file with every password hash
and 64-hex PSK blanked out, so the record (which stays on the readable boot partition
after first boot) reveals nothing about the secrets.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from bridge_cli import __version__

NAME = "pvs-bridge-sdcard.json"
_CRYPT_RE = re.compile(r"\$6\$[^\s\"':]+")
_HEX64_RE = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")


def blank_secrets(content: bytes) -> bytes:
    text = content.decode("utf-8", errors="surrogateescape")
    text = _CRYPT_RE.sub("$6$-", text)
    text = _HEX64_RE.sub("-", text)
    return text.encode("utf-8", errors="surrogateescape")


def fingerprint(content: bytes) -> str:
    return hashlib.sha256(blank_secrets(content)).hexdigest()


def load(boot_dir: Path) -> dict[str, str]:
    """{file name: fingerprint} of what bridge-cli wrote; {} when absent or unreadable."""
    try:
        data = json.loads((boot_dir / NAME).read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def render(release: str, files: dict[str, bytes], previous: dict[str, str]) -> bytes:
    """The record after this run: earlier entries kept, this run's files updated."""
    entries = dict(previous)
    entries.update({name: fingerprint(content) for name, content in files.items()})
    data = {
        "written_by": f"bridge-cli {__version__} (pvs-bridge)",
        "release": release,
        "files": dict(sorted(entries.items())),
    }
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def written_by_us(name: str, content: bytes, record: dict[str, str]) -> bool:
    return record.get(name) == fingerprint(content)
