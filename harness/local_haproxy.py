"""Run a real haproxy with a given configuration as a child process (tests, benchmarks).

The tests, the doctor's test bed and the benchmarks all run the bridge_proxy role's own
configuration (rendered by harness.proxy_config) with a real haproxy on loopback; this
module is the one way they start, validate, wait for and stop it. Another haproxy build
(e.g. 2.2 or 3.0 inside a lab root file system) can be used by giving its command line in
the environment variable BRIDGE_HAPROXY_CMD.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from bridge_cli.errors import BridgeFailure


def haproxy_command() -> list[str]:
    """The haproxy command line: $BRIDGE_HAPROXY_CMD, else the haproxy on PATH or in /usr/sbin."""
    custom = shlex.split(os.environ.get("BRIDGE_HAPROXY_CMD", ""))
    return custom or [shutil.which("haproxy") or "/usr/sbin/haproxy"]


# Role variables that keep a rendered bridge configuration off the system's paths (syslog
# socket, chroot, admin socket, user switch), so that it runs as a plain child process.
UNPRIVILEGED_OVERRIDES: dict = {
    "bridge_proxy_log_target": "",
    "bridge_proxy_chroot": "",
    "bridge_proxy_stats_socket": "",
    "bridge_proxy_user": "",
    # TLS termination needs the bridge's certificate and the PVS's pinned one, which the
    # role makes on the Pi; a test that wants it sets the mode and bridge_proxy_tls_dir.
    "bridge_proxy_https_mode": "passthrough",
}


def free_port(address: str = "127.0.0.1") -> int:
    """A TCP port that is free on ADDRESS right now (for test and benchmark listeners)."""
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def check_config(path: Path, command: list[str] | None = None) -> subprocess.CompletedProcess:
    """`haproxy -c -f PATH`: what the role's `validate:` runs before a config lands."""
    return subprocess.run(
        [*(command or haproxy_command()), "-c", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def wait_listening(
    address: str,
    port: int,
    proc: subprocess.Popen | None = None,
    timeout: float = 20.0,
    what: str = "haproxy",
) -> None:
    """Wait until ADDRESS:PORT accepts connections; fail early if PROC (WHAT) has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BridgeFailure(f"{what} exited with status {proc.returncode} before listening")
        try:
            socket.create_connection((address, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise BridgeFailure(f"{what} did not listen on {address}:{port} within {timeout:.0f} s")


def stop_process(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """Terminate a child process, killing it if it does not exit within TIMEOUT."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


class LocalHaproxy:
    """haproxy as a child process (-db: one process in the foreground; -Ws: master and
    worker, as systemd runs it); validated first, stopped on exit."""

    def __init__(
        self,
        config: str,
        listen: Iterable[tuple[str, int]],
        command: list[str] | None = None,
        label: str = "haproxy",
        mode: str = "-db",
    ):
        self.config = config
        self.listen = list(listen)
        self.command = command or haproxy_command()
        self.label = label
        self.mode = mode
        self.proc: subprocess.Popen | None = None
        self.workdir: Path | None = None

    @property
    def config_path(self) -> Path:
        assert self.workdir is not None, "not started"
        return self.workdir / "haproxy.cfg"

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def log_text(self) -> str:
        log = self.workdir / "haproxy.log" if self.workdir else None
        return log.read_text(errors="replace") if log and log.exists() else ""

    def start(self) -> LocalHaproxy:
        self.workdir = Path(tempfile.mkdtemp(prefix="pvs-bridge-haproxy-"))
        self.config_path.write_text(self.config)
        checked = check_config(self.config_path, self.command)
        if checked.returncode != 0:
            self._cleanup()
            output = checked.stdout + checked.stderr
            raise BridgeFailure(f"{self.label}: haproxy -c failed: {output}")
        with open(self.workdir / "haproxy.log", "wb") as log:
            self.proc = subprocess.Popen(
                [*self.command, self.mode, "-f", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            for address, port in self.listen:
                wait_listening(address, port, self.proc, what=self.label)
        except BridgeFailure as exc:
            log_text = self.log_text()
            self.stop()
            raise BridgeFailure(f"{self.label}: {exc}: {log_text[-2000:]}") from None
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def version(self) -> str:
        out = subprocess.run([*self.command, "-v"], capture_output=True, text=True).stdout
        return out.splitlines()[0] if out else "unknown"

    def stop(self) -> None:
        stop_process(self.proc, timeout=5)
        self._cleanup()

    def _cleanup(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> LocalHaproxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
