"""The bridge on loopback: the real simulator (its CLI, in a subprocess) behind a real
haproxy running either the role's configuration or the guide's. 127.0.0.1 only."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

from harness.local_haproxy import (
    UNPRIVILEGED_OVERRIDES,
    LocalHaproxy,
    free_port,
    stop_process,
    wait_listening,
)
from harness.proxy_config import render_guide_haproxy_cfg, render_haproxy_cfg

LOOPBACK = "127.0.0.1"


class Simulator:
    """`bridge-cli simulate` on 127.0.0.1 in a subprocess; counters over HTTP."""

    def __init__(self, inverters: int = 24, latency: str = "none", ess: bool = False):
        self.inverters = inverters
        self.latency = latency
        self.ess = ess
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def options(self) -> list[str]:
        """`bridge-cli simulate` options beyond --host and --port."""
        return ["--inverters", str(self.inverters), "--latency", self.latency,
                "--ess" if self.ess else "--no-ess"]  # fmt: skip

    def listening_ports(self) -> tuple[int, ...]:
        return (self.port,)

    def __enter__(self) -> Simulator:
        argv = [sys.executable, "-m", "bridge_cli", "simulate", "--host", LOOPBACK,
                "--port", str(self.port), *self.options()]  # fmt: skip
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        try:
            for port in self.listening_ports():
                wait_listening(LOOPBACK, port, self.proc, what="the simulator")
        except BaseException:
            stop_process(self.proc)
            raise
        return self

    def __exit__(self, *exc) -> None:
        stop_process(self.proc)

    def _control(self, path: str, method: str = "GET") -> dict:
        request = urllib.request.Request(f"http://{LOOPBACK}:{self.port}{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return json.loads(response.read() or b"{}")

    def counters(self) -> dict:
        return self._control("/_sim/counters")

    def reset_counters(self) -> None:
        self._control("/_sim/counters/reset", "POST")

    def fault(self, mode: str, seconds: float | None = None) -> dict:
        """Switch the simulator's fault mode (e.g. "restarting" for N seconds)."""
        query = f"mode={mode}" + ("" if seconds is None else f"&seconds={seconds:g}")
        return self._control(f"/_sim/fault?{query}", "POST")


def role_config(pvs_port: int, overrides: dict | None = None) -> tuple[str, int, int]:
    """The role's haproxy.cfg on loopback, unprivileged ports, no system paths."""
    http_port, stats_port = free_port(), free_port()
    variables = {
        "bridge_proxy_bind_address": LOOPBACK,
        "bridge_proxy_http_port": http_port,
        "bridge_proxy_stats_port": stats_port,
        "bridge_proxy_https_port": free_port(),
        "bridge_proxy_ws_port": free_port(),
        "bridge_proxy_pvs_address": LOOPBACK,
        "bridge_proxy_pvs_port": pvs_port,
        "bridge_proxy_pvs_https_port": free_port(),
        "bridge_proxy_pvs_ws_port": free_port(),
        **UNPRIVILEGED_OVERRIDES,
    }
    variables.update(overrides or {})
    return render_haproxy_cfg(variables), http_port, stats_port


def guide_config(pvs_port: int) -> tuple[str, int, int]:
    """The guide's configuration (Debian default + guide lines) on loopback."""
    http_port, stats_port = free_port(), free_port()
    text = render_guide_haproxy_cfg(
        bind_address=LOOPBACK,
        http_port=http_port,
        stats_port=stats_port,
        pvs_address=LOOPBACK,
        pvs_port=pvs_port,
        log_target="",
        chroot="",
        stats_socket="",
        user="",
    )
    return text, http_port, stats_port


class Haproxy(LocalHaproxy):
    """The host's haproxy in the foreground (-db: one process, its pid is ours)."""

    def __init__(self, config: str, http_port: int, label: str = "haproxy"):
        super().__init__(config, [(LOOPBACK, http_port)], label=label)
        self.http_port = http_port
