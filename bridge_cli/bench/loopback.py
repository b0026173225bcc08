"""The bridge on loopback: the real simulator (its CLI, in a subprocess) behind a real
haproxy running either the role's configuration or the guide's. 127.0.0.1 only."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bridge_cli.errors import BridgeFailure
from bridge_cli.proxy_config import render_guide_haproxy_cfg, render_haproxy_cfg

LOOPBACK = "127.0.0.1"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_listening(
    host: str, port: int, proc: subprocess.Popen, what: str, timeout: float = 20.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BridgeFailure(f"{what} exited with status {proc.returncode} before listening")
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise BridgeFailure(f"{what} did not listen on {host}:{port} within {timeout:.0f} s")


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Simulator:
    """`bridge-cli simulate` on 127.0.0.1 in a subprocess; counters over HTTP."""

    def __init__(self, inverters: int = 24, latency: str = "none"):
        self.inverters = inverters
        self.latency = latency
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Simulator:
        argv = [
            sys.executable,
            "-m",
            "bridge_cli",
            "simulate",
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
            "--inverters",
            str(self.inverters),
            "--latency",
            self.latency,
        ]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        try:
            wait_listening(LOOPBACK, self.port, self.proc, "the simulator")
        except BaseException:
            _stop(self.proc)
            raise
        return self

    def __exit__(self, *exc) -> None:
        _stop(self.proc)

    def _control(self, path: str, method: str = "GET") -> dict:
        request = urllib.request.Request(f"http://{LOOPBACK}:{self.port}{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return json.loads(response.read() or b"{}")

    def counters(self) -> dict:
        return self._control("/_sim/counters")

    def reset_counters(self) -> None:
        self._control("/_sim/counters/reset", "POST")


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
        "bridge_proxy_log_target": "",
        "bridge_proxy_chroot": "",
        "bridge_proxy_stats_socket": "",
        "bridge_proxy_user": "",
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


class Haproxy:
    """The host's haproxy in the foreground (-db: one process, its pid is ours)."""

    def __init__(self, config: str, http_port: int, label: str = "haproxy"):
        self.config = config
        self.http_port = http_port
        self.label = label
        self.proc: subprocess.Popen | None = None
        self.workdir: Path | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def version(self) -> str:
        out = subprocess.run([HAPROXY, "-v"], capture_output=True, text=True).stdout
        return out.splitlines()[0] if out else "unknown"

    def __enter__(self) -> Haproxy:
        self.workdir = Path(tempfile.mkdtemp(prefix="pvs-bench-haproxy-"))
        cfg = self.workdir / "haproxy.cfg"
        cfg.write_text(self.config)
        check = subprocess.run(
            [HAPROXY, "-c", "-q", "-f", str(cfg)], capture_output=True, text=True
        )
        if check.returncode != 0:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise BridgeFailure(f"{self.label}: haproxy -c failed: {check.stdout}{check.stderr}")
        self.proc = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(cfg)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        try:
            wait_listening(LOOPBACK, self.http_port, self.proc, self.label)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        _stop(self.proc)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
