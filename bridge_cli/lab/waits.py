"""Waiting for a lab service to answer, probed from inside a lab namespace."""

from __future__ import annotations

import subprocess
import sys

from bridge_cli.lab import netns

_PROBE = """
import socket, sys, time
host, port, deadline = sys.argv[1], int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
while True:
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            if sys.argv[4] == "banner":
                s.settimeout(3)
                if not s.recv(64).startswith(b"SSH-"):
                    raise OSError("no ssh banner")
        sys.exit(0)
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(0.2)
"""


def tcp(ns: str, host: str, port: int, timeout: float, banner: bool = False) -> bool:
    """True once host:port accepts a connection from inside `ns` (one probe process)."""
    mode = "banner" if banner else "-"
    argv = [sys.executable, "-c", _PROBE, host, str(port), str(timeout), mode]
    result = subprocess.run(netns.exec_argv(ns, argv), capture_output=True, timeout=timeout + 15)
    return result.returncode == 0
