"""Reading OpenSSH public keys for the card; private keys are refused."""

from __future__ import annotations

import base64
import binascii
import struct
from pathlib import Path

from bridge_cli.errors import BridgeInputError

FIELD = "ssh-key"
MAX_KEY_FILE = 64 * 1024
KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
_PRIVATE_MARKERS = ("PRIVATE KEY-----", "PuTTY-User-Key-File", "SSH2 ENCRYPTED PRIVATE KEY")
_EXAMPLE = "ssh-ed25519 AAAA... you@laptop, as in ~/.ssh/id_ed25519.pub"


def looks_private(text: str) -> bool:
    return any(marker in text for marker in _PRIVATE_MARKERS)


def parse_public_key_line(line: str) -> str | None:
    """The normalised key line ('type base64 [comment]'), or None when it is not one."""
    parts = line.strip().split(None, 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        return None
    key_type, blob_b64 = parts[0], parts[1]
    try:
        blob = base64.b64decode(blob_b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(blob) < 4:
        return None
    (n,) = struct.unpack(">I", blob[:4])
    if blob[4 : 4 + n] != key_type.encode("ascii"):
        return None
    comment = parts[2].strip() if len(parts) == 3 else ""
    if any(ord(c) < 32 or ord(c) == 127 for c in comment):
        return None
    return f"{key_type} {blob_b64}" + (f" {comment}" if comment else "")


def read_public_keys(path: Path) -> list[str]:
    """All public keys in one file (authorized_keys style: one per line, # comments)."""
    try:
        if not path.is_file():
            raise BridgeInputError(FIELD, f"{path} is not a file; give a public key file")
        if path.stat().st_size > MAX_KEY_FILE:
            raise BridgeInputError(FIELD, f"{path} is too large for a public key file")
        raw = path.read_bytes()
    except BridgeInputError:
        raise
    except OSError as exc:
        raise BridgeInputError(FIELD, f"cannot read {path}: {exc.strerror}") from None
    text = raw.decode("utf-8", errors="replace")
    if looks_private(text):
        raise BridgeInputError(
            FIELD,
            f"{path} is a PRIVATE key and was refused: a private key must never go on the "
            f"card (anyone holding the card could use it); give the public key instead "
            f"(e.g. {path}.pub)",
        )
    keys: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key = parse_public_key_line(line)
        if key is None:
            raise BridgeInputError(
                FIELD, f"{path} line {number} is not an OpenSSH public key (expected {_EXAMPLE})"
            )
        keys.append(key)
    if not keys:
        raise BridgeInputError(FIELD, f"{path} holds no public key (expected {_EXAMPLE})")
    return keys


def read_all(paths: list[Path] | tuple[Path, ...]) -> tuple[str, ...]:
    """Keys from every file, in order, without duplicates."""
    seen: dict[str, None] = {}
    for path in paths:
        for key in read_public_keys(path):
            seen.setdefault(key, None)
    return tuple(seen)
