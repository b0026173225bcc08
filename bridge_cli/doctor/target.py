"""Validate the doctor's input: HOST[:PORT], ports, serial, SSH key (BridgeInputError)."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import threading
import time
from pathlib import Path

from bridge_cli import settings
from bridge_cli.errors import BridgeInputError

_NAME_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def split_host_port(value: str, default_port: int = 80) -> tuple[str, int]:
    """`host`, `host:port`, `[v6]:port`, `v6` -> (host, port)."""
    v = value.strip()
    if not v:
        raise BridgeInputError("host", "is empty; give the bridge's name or address")
    port_text = None
    if v.startswith("["):
        host, sep, rest = v[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise BridgeInputError("host", f"{value!r}: use [IPv6]:PORT")
        port_text = rest[1:] if rest else None
    elif v.count(":") == 1:
        host, port_text = v.split(":")
    else:
        host = v
    port = settings.port(port_text, "port") if port_text is not None else default_port
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _NAME_RE.match(host):
            raise BridgeInputError(
                "host",
                f"{host!r} is not a host name or IP address (letters, digits, hyphens and dots)",
            ) from None
    return host, port


def resolve(host: str, timeout: float) -> tuple[str, float]:
    """The first IPv4 (else IPv6) address of `host`, within `timeout`; BridgeInputError else."""
    try:
        ipaddress.ip_address(host)
        return host, 0.0
    except ValueError:
        pass
    start = time.monotonic()
    box: dict = {}

    def work() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise BridgeInputError(
            "host", f"{host!r} did not resolve within {timeout:g} s (DNS/mDNS not answering)"
        )
    if "error" in box:
        hint = (
            " (a .local name disappears while the bridge is offline)"
            if host.endswith(".local")
            else ""
        )
        raise BridgeInputError(
            "host",
            f"{host!r} does not resolve{hint}; use the bridge's IP address or check the name",
        )
    infos = box["infos"]
    v4 = [i for i in infos if i[0] == socket.AF_INET]
    chosen = (v4 or infos)[0][4][0]
    return chosen, time.monotonic() - start


def serial(value: str | None) -> str | None:
    if value is None:
        return None
    return settings.pvs_serial(value, "serial")


def ssh_key(path: Path | None) -> Path | None:
    """An existing, readable file holding an unencrypted private key paramiko can load."""
    if path is None:
        return None
    if not path.exists():
        raise BridgeInputError("ssh-key", f"{path}: no such file")
    if not path.is_file():
        raise BridgeInputError("ssh-key", f"{path}: not a file")
    if not os.access(path, os.R_OK):
        raise BridgeInputError("ssh-key", f"{path}: not readable (permissions)")
    from bridge_cli.doctor.checks_ssh import load_private_key

    try:
        load_private_key(path)
    except ValueError as exc:
        raise BridgeInputError("ssh-key", f"{path}: {exc}") from None
    except OSError as exc:
        raise BridgeInputError("ssh-key", f"{path}: cannot read ({exc.strerror})") from None
    return path


def timeout(value: float | str, field: str) -> float:
    """Seconds, 0.1-3600 (a number given on the command line, or a float)."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise BridgeInputError(
                field, f"{value!r} is not a number; allowed 0.1-3600 seconds"
            ) from None
    if not 0.1 <= value <= 3600:
        raise BridgeInputError(field, f"{value:g} is out of range; allowed 0.1-3600 seconds")
    return float(value)


def interface(value: str, field: str = "pvs-interface") -> str:
    """A Linux interface name (the rule is settings.interface, shared with the roles)."""
    return settings.interface(value, field)
