"""Secrets: WiFi PSK hashing, crypt(3) password hashes, and reading secrets safely.

Secrets never come from the command line: they come from an environment variable, a file,
or a hidden prompt. Only hashed forms are ever written anywhere.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from passlib.hash import sha512_crypt

from bridge_cli.errors import BridgeInputError
from bridge_cli.psk import wifi_psk  # noqa: F401  (the PSK rule lives in psk.py)

PASSWORD_ENV = "BRIDGE_PASSWORD"
WIFI_PSK_ENV = "BRIDGE_WIFI_PSK"
_MAX_SECRET_FILE = 4096


def crypt_sha512(password: str) -> str:
    """A SHA-512 crypt hash ($6$...) that chpasswd -e, userconf and cloud-init accept."""
    return sha512_crypt.using(rounds=5000).hash(password)


def crypt_matches(password: str, crypt_hash: str | None) -> bool:
    """True when `crypt_hash` is a $6$ hash of `password` (lets a rerun keep the same hash)."""
    if not crypt_hash or not crypt_hash.startswith("$6$"):
        return False
    try:
        return sha512_crypt.verify(password, crypt_hash)
    except (ValueError, TypeError):
        return False


@dataclass(frozen=True)
class SecretSource:
    """Where one secret may come from: an environment variable, a file option, a prompt."""

    field: str  # the name used in error messages, e.g. "password"
    env_var: str  # e.g. BRIDGE_PASSWORD
    file_option: str  # e.g. password-file (for messages)
    prompt_text: str  # e.g. "Login password for pi"


@dataclass(frozen=True)
class SecretValue:
    value: str
    origin: str  # "environment variable BRIDGE_PASSWORD", "file x", "prompt"
    warnings: tuple[str, ...] = ()


def read_secret_file(path: Path, field: str) -> tuple[str, tuple[str, ...]]:
    """Read a one-line secret from a file; strip one trailing newline. Returns (value, warnings)."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise BridgeInputError(field, f"{path} is not a regular file")
        if st.st_size > _MAX_SECRET_FILE:
            raise BridgeInputError(field, f"{path} is larger than {_MAX_SECRET_FILE} bytes")
        raw = path.read_bytes()
    except BridgeInputError:
        raise
    except OSError as exc:
        raise BridgeInputError(field, f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BridgeInputError(field, f"{path} is not UTF-8 text") from None
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    warnings = ()
    if os.name == "posix" and st.st_mode & 0o077:
        warnings = (
            f"{field}: {path} is readable by other users (mode {stat.S_IMODE(st.st_mode):04o});"
            f" chmod 600 {path}",
        )
    return text, warnings


def read_secret(
    source: SecretSource,
    file: Path | None,
    environ: Mapping[str, str],
    prompt: Callable[[str], str] | None,
) -> SecretValue:
    """Read one secret: the file option first, then the environment, then the prompt.

    `prompt(text)` asks for a hidden, confirmed value (the CLI passes a click prompt); None
    means no terminal: then a missing secret is an input error naming the ways to give it.
    """
    if file is not None:
        value, warnings = read_secret_file(file, source.file_option)
        return SecretValue(value, f"file {file}", warnings)
    if environ.get(source.env_var):
        return SecretValue(environ[source.env_var], f"environment variable {source.env_var}")
    if prompt is not None:
        value = prompt(source.prompt_text)
        if value:
            return SecretValue(value, "prompt")
    raise BridgeInputError(
        source.field,
        f"not given; set {source.env_var}, use --{source.file_option} FILE, "
        "or run in a terminal to be asked (never on the command line)",
    )
