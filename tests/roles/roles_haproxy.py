"""Run the role's real haproxy configuration with the host's haproxy on loopback."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import time
from pathlib import Path

from bridge_cli.proxy_config import render_haproxy_cfg

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
# Another haproxy build can be tested by giving its command line, e.g. haproxy 2.2 inside
# a bullseye root file system run with systemd-nspawn (see docs/roles.md).
HAPROXY_CMD = shlex.split(os.environ.get("ROLES_HAPROXY_CMD", "")) or [HAPROXY]
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def loopback_overrides(pvs_port: int) -> dict:
    """Overrides that keep a test haproxy on loopback, unprivileged ports, no system paths."""
    return {
        "bridge_proxy_bind_address": LOOPBACK,
        "bridge_proxy_http_port": free_port(),
        "bridge_proxy_stats_port": free_port(),
        "bridge_proxy_https_port": free_port(),
        "bridge_proxy_ws_port": free_port(),
        "bridge_proxy_pvs_address": LOOPBACK,
        "bridge_proxy_pvs_port": pvs_port,
        "bridge_proxy_log_target": "",
        "bridge_proxy_chroot": "",
        "bridge_proxy_stats_socket": "",
        "bridge_proxy_user": "",
    }


def check_config(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*HAPROXY_CMD, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30
    )


class RunningHaproxy:
    """haproxy -db in the foreground as a child process; stopped on exit."""

    def __init__(self, tmp_path: Path, variables: dict):
        self.variables = variables
        self.config = tmp_path / "haproxy.cfg"
        self.config.write_text(render_haproxy_cfg(variables))
        self.proc: subprocess.Popen | None = None

    @property
    def http(self) -> tuple[str, int]:
        return LOOPBACK, self.variables["bridge_proxy_http_port"]

    @property
    def stats(self) -> tuple[str, int]:
        return LOOPBACK, self.variables["bridge_proxy_stats_port"]

    def __enter__(self) -> RunningHaproxy:
        checked = check_config(self.config)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        self.proc = subprocess.Popen(
            [*HAPROXY_CMD, "-f", str(self.config), "-db"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"haproxy exited: {self.proc.stderr.read()}")
            try:
                socket.create_connection(self.http, timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("haproxy did not start listening")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
