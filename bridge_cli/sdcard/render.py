"""Jinja2 rendering of templates/sdcard/* with escaping filters for each file format.

Values never reach a file by string concatenation: TOML strings, YAML scalars and
wpa_supplicant SSIDs each go through a filter that produces a correct literal.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2
import yaml

from bridge_cli.errors import BridgeFailure
from bridge_cli.resources import PROJECT_ROOT

TEMPLATE_DIR = PROJECT_ROOT / "templates" / "sdcard"

_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
_TOML_ESCAPES |= {"\f": "\\f", "\r": "\\r"}


def toml_str(value: str) -> str:
    """A TOML basic string (double quotes; escapes for quote, backslash, controls)."""
    if not isinstance(value, str):
        raise TypeError(f"toml_str needs a str, got {type(value).__name__}")
    out = []
    for ch in value:
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_list(values) -> str:
    return "[" + ", ".join(toml_str(v) for v in values) + "]"


def toml_bool(value: bool) -> str:
    return "true" if value else "false"


def yaml_str(value: str) -> str:
    """A YAML double-quoted scalar on one line, as PyYAML's emitter escapes it."""
    if not isinstance(value, str):
        raise TypeError(f"yaml_str needs a str, got {type(value).__name__}")
    text = yaml.safe_dump(value, default_style='"', allow_unicode=True, width=2**31 - 1)
    text = text.removesuffix("\n")
    if "\n" in text:  # pragma: no cover - PyYAML escapes line breaks in this style
        raise ValueError("YAML scalar spans lines")
    return text


def yaml_bool(value: bool) -> str:
    return "true" if value else "false"


def wpa_ssid(value: str) -> str:
    """An SSID for wpa_supplicant.conf: "quoted" when plain printable ASCII, else hex.

    wpa_supplicant takes a quoted string literally (no escapes), so anything with a
    double quote, a control character or non-ASCII is written as the hex of its UTF-8
    bytes, which wpa_supplicant reads exactly.
    """
    if value and all(0x20 <= ord(c) <= 0x7E for c in value) and '"' not in value:
        return f'"{value}"'
    return value.encode("utf-8").hex()


def nm_ssid_bytes(value: str) -> str:
    """The SSID as NetworkManager's keyfile decimal byte list: "Home" -> "72;111;109;101;".

    NetworkManager's keyfile reader takes a value made only of numbers 0-255, each followed
    by ';', as the SSID's bytes; any other value is taken as text, with GKeyFile escapes
    (\\s, \\n, ...). The list is plain ASCII digits, so it reaches NM unchanged through
    any copy that does not escape (Bookworm's `imager_custom set_wlan` writes `ssid=` raw).
    """
    return "".join(f"{b};" for b in value.encode("utf-8"))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    if not TEMPLATE_DIR.is_dir():
        raise BridgeFailure(
            f"templates: {TEMPLATE_DIR} is missing; bridge-cli uses the templates/ folder of "
            "its checkout: clone pvs-bridge and install it with `pip install -e .` (or run "
            "`make test` there)"
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(
        toml_str=toml_str,
        toml_list=toml_list,
        toml_bool=toml_bool,
        yaml_str=yaml_str,
        yaml_bool=yaml_bool,
        wpa_ssid=wpa_ssid,
        nm_ssid_bytes=nm_ssid_bytes,
    )
    return env


def render(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
