"""The proxies compared side by side, each run for real on loopback in front of its own
simulator: the role's haproxy, the guide's haproxy, varnish, nginx and Caddy.

`Peer(key, pvs_port)` renders the peer's configuration (harness.bench.peerconf, or
the role's own template through harness.proxy_config for haproxy), starts the Debian
package's binary in the foreground on a free 127.0.0.1 port, waits until it listens and
stops it on exit. `pids()` is the whole process tree (nginx master + workers, varnish
manager + cache child), which is what memory is summed over.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bridge_cli.errors import BridgeFailure
from harness.bench import loopback, peerconf
from harness.bench.peerconf import LABELS
from harness.local_haproxy import free_port, haproxy_command, stop_process, wait_listening

PEERS = ("role", "guide", "varnish", "nginx", "caddy")
BINARIES = {"varnish": "varnishd", "nginx": "nginx", "caddy": "caddy"}
PACKAGES = {"role": "haproxy", "guide": "haproxy", "varnish": "varnish", "nginx": "nginx",
            "caddy": "caddy"}  # fmt: skip


def binary(name: str) -> str | None:
    """A system binary on PATH or in the sbin directories (not on a user's PATH)."""
    found = shutil.which(name)
    if found:
        return found
    for directory in ("/usr/sbin", "/usr/bin", "/sbin"):
        path = Path(directory) / name
        if path.exists():
            return str(path)
    return None


def missing(key: str) -> str | None:
    """Why peer KEY cannot run here (one line), or None when its binary is installed."""
    if key not in PEERS:
        raise ValueError(f"unknown peer {key!r}")
    if key in ("role", "guide"):
        command = haproxy_command()
        ok = bool(shutil.which(command[0])) or Path(command[0]).exists()
        name = "haproxy"
    else:
        name = BINARIES[key]
        ok = binary(name) is not None
    if ok:
        return None
    return f"{name} is not installed (apt package {PACKAGES[key]}; scripts/install-system-deps.sh)"


def children_of(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """Every descendant of pid (from the parent field of /proc/<pid>/stat)."""
    parents: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(text.rpartition(")")[2].split()[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return sorted(found)


class Peer:
    """One peer proxy in front of the simulator at 127.0.0.1:pvs_port."""

    def __init__(self, key: str, pvs_port: int, pvs_ws_port: int | None = None):
        if key not in PEERS:
            raise ValueError(f"unknown peer {key!r}")
        self.key = key
        self.label = LABELS[key]
        self.pvs_port = pvs_port
        self.pvs_ws_port = pvs_ws_port or free_port()
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.haproxy: loopback.Haproxy | None = None
        self.workdir: Path | None = None
        self.config_text = ""

    # ----- life cycle -----------------------------------------------------------------
    def __enter__(self) -> Peer:
        reason = missing(self.key)
        if reason:
            raise BridgeFailure(f"{self.key}: {reason}")
        try:
            if self.key in ("role", "guide"):
                self._start_haproxy()
            else:
                self._start_other()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start_haproxy(self) -> None:
        if self.key == "role":
            config, port, _ = loopback.role_config(self.pvs_port)
        else:
            config, port, _ = loopback.guide_config(self.pvs_port)
        self.config_text, self.port = config, port
        self.haproxy = loopback.Haproxy(config, port, label=f"{self.key} haproxy").start()

    def _start_other(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix=f"pvs-bench-{self.key}-"))
        # varnish's manager and nginx's workers drop to their own users: they must be
        # able to enter the directory (it holds nothing secret: a config and a pid file).
        os.chmod(self.workdir, 0o755)  # noqa: S103
        self.port = free_port()
        host = loopback.LOOPBACK
        env = None
        if self.key == "varnish":
            path = self.workdir / "default.vcl"
            self.config_text = peerconf.varnish_vcl(host, self.pvs_port)
            argv = peerconf.varnish_argv(str(self.workdir / "varnish"), str(path), host, self.port)
        elif self.key == "nginx":
            path = self.workdir / "nginx.conf"
            self.config_text = peerconf.nginx_conf(
                str(self.workdir), host, self.port, free_port(), host, self.pvs_port,
                self.pvs_ws_port,
            )  # fmt: skip
            argv = peerconf.nginx_argv(str(self.workdir), str(path))
        else:
            path = self.workdir / "Caddyfile"
            self.config_text = peerconf.caddyfile(host, self.port, host, self.pvs_port)
            argv = peerconf.caddy_argv(str(path))
            env = {
                **os.environ,
                "HOME": str(self.workdir),
                "XDG_DATA_HOME": str(self.workdir / "data"),
                "XDG_CONFIG_HOME": str(self.workdir / "config"),
            }
        path.write_text(self.config_text)
        argv[0] = binary(argv[0]) or argv[0]
        with open(self.workdir / "peer.log", "wb") as log:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        try:
            wait_listening(host, self.port, self.proc, what=self.key)
        except BridgeFailure as exc:
            raise BridgeFailure(f"{exc}: {self.log_text()[-1500:]}") from None

    def stop(self) -> None:
        if self.haproxy is not None:
            self.haproxy.stop()
            self.haproxy = None
        stop_process(self.proc, timeout=10)
        self.proc = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    # ----- facts ------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        if self.haproxy is not None:
            return self.haproxy.pid
        assert self.proc is not None, "not started"
        return self.proc.pid

    def pids(self) -> list[int]:
        return [self.pid, *children_of(self.pid)]

    def log_text(self) -> str:
        if self.haproxy is not None:
            return self.haproxy.log_text()
        log = self.workdir / "peer.log" if self.workdir else None
        return log.read_text(errors="replace") if log and log.exists() else ""

    def version(self) -> str:
        if self.haproxy is not None:
            return self.haproxy.version()
        argv = {
            "varnish": [binary("varnishd") or "varnishd", "-V"],
            "nginx": [binary("nginx") or "nginx", "-v"],
            "caddy": [binary("caddy") or "caddy", "version"],
        }[self.key]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        text = (out.stdout + out.stderr).strip()
        return text.splitlines()[0] if text else "unknown"
