"""How the PVS writes times and numbers (shared by the site model and the battery model)."""

from __future__ import annotations

import time

INSTALLED_AT = 1634231450.0  # 2021-10-14T17:10:50Z, the guide's commissioning date


def fmt_time(t: float) -> str:
    """The PVS's "2021,10,27,07,25,00" UTC format."""
    return time.strftime("%Y,%m,%d,%H,%M,%S", time.gmtime(t))


def fmt_iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def num(value: float, places: int = 4) -> str:
    """Numbers as the PVS writes them: strings, trailing zeros trimmed."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
