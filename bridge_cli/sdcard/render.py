"""Jinja2 rendering of templates/sdcard/* with escaping filters for each file format.

Values never reach a file by string concatenation: TOML strings, YAML scalars and
wpa_supplicant SSIDs each go through a filter that produces a correct literal.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2
import yaml

from bridge_cli import settings
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


# The SSID forms are rules shared with the roles (settings.py, one place).
wpa_ssid = settings.wpa_conf_ssid
nm_ssid_bytes = settings.nm_keyfile_ssid


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
