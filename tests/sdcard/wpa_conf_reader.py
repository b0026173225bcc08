"""A small wpa_supplicant.conf reader for the tests, following wpa_supplicant's own parser.

wpa_supplicant (config_file.c) strips a `#` comment only after the last double quote of a
line, splits `name=value` at the first `=`, reads `"..."` as the bytes between the first
and the last quote (no escapes), and an unquoted value as hex bytes.
"""

from __future__ import annotations


def _strip_comment(line: str) -> str:
    start = line.find('"')
    anchor = 0
    if start != -1:
        last = line.rfind('"')
        anchor = last if last > start else 0
    cut = line.find("#", anchor)
    if cut != -1:
        line = line[:cut]
    return line.strip()


def parse_string(value: str) -> bytes:
    if value.startswith('"'):
        end = value.rfind('"')
        if end <= 0:
            raise ValueError(f"unterminated string: {value!r}")
        return value[1:end].encode("utf-8")
    if len(value) % 2 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ValueError(f"not a quoted string or hex: {value!r}")
    return bytes.fromhex(value)


def read(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(global settings, networks); values are raw strings as in the file."""
    settings: dict[str, str] = {}
    networks: list[dict[str, str]] = []
    block: dict[str, str] | None = None
    for raw in text.splitlines():
        line = _strip_comment(raw)
        if not line:
            continue
        if line == "network={":
            if block is not None:
                raise ValueError("nested network block")
            block = {}
            continue
        if line == "}":
            if block is None:
                raise ValueError("stray }")
            networks.append(block)
            block = None
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"not name=value: {line!r}")
        (block if block is not None else settings)[name] = value
    if block is not None:
        raise ValueError("unterminated network block")
    return settings, networks
