"""What the soak reads from the lab (never changes): simulator counters, haproxy's state
in the guest, the guest's overlay upper dir (its "SD card")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bridge_cli.lab import netns
from bridge_cli.lab import topology as topo

HAPROXY_PROPS = ("NRestarts", "ExecMainPID", "ExecMainStartTimestampMonotonic", "ActiveState")


def sim(lab, path: str, method: str = "GET", timeout: float = 10.0) -> dict | None:
    """A simulator control endpoint, asked inside the PVS namespace (None: no answer,
    e.g. while the simulated PVS reboots)."""
    code = (
        "import sys,urllib.request;r=urllib.request.Request(sys.argv[1],method=sys.argv[2]);"
        "print(urllib.request.urlopen(r,timeout=float(sys.argv[3])).read().decode())"
    )
    url = f"http://{topo.PVS_ADDRESS}{path}"
    argv = netns.exec_argv(lab.pvs_ns, [sys.executable, "-c", code, url, method, str(timeout)])
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout + 15, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        return None
    try:
        return json.loads(proc.stdout)
    except ValueError:
        return None


def wait_sim(lab, timeout: float) -> dict | None:
    """The counters once the simulated PVS answers with no fault (None: not within timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = sim(lab, "/_sim/counters", timeout=5)
        if data and data.get("fault", {}).get("mode") == "none":
            return data
        time.sleep(1)
    return None


def haproxy_state(lab, attempts: int = 5) -> dict | None:
    """systemd's view of haproxy in the guest (None: the guest did not answer SSH)."""
    for _ in range(attempts):
        try:
            proc = lab.ssh(
                ["systemctl", "show", "haproxy", *(f"--property={p}" for p in HAPROXY_PROPS)],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except subprocess.TimeoutExpired:
            continue
        if proc.returncode == 0:
            out = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
            return {
                "restarts": int(out.get("NRestarts") or 0),
                "pid": int(out.get("ExecMainPID") or 0),
                "started_mono": int(out.get("ExecMainStartTimestampMonotonic") or 0),
                "active": out.get("ActiveState", ""),
            }
        time.sleep(3)
    return None


def haproxy_restarts(before: dict | None, after: dict | None, new_boot: bool) -> int | None:
    """Restarts of haproxy between two readings (None: unknown). Within one boot that is
    systemd's NRestarts difference, or 1 if the main process changed without it (someone
    restarted the unit); after a new boot the boot's own NRestarts (its first start is
    not a restart)."""
    if after is None or (before is None and not new_boot):
        return None
    if new_boot:
        return after["restarts"]
    delta = after["restarts"] - before["restarts"]
    if delta == 0 and after["pid"] != before["pid"]:
        return 1
    return delta


def upper_usage(upper: Path) -> dict:
    """Bytes the guest holds in its overlay upper dir (everything it wrote since the base
    image: its "SD card"), and files by the time they were last written."""
    total = 0
    files: list[tuple[float, int, str]] = []
    for root, _dirs, names in os.walk(upper):
        for name in names:
            path = os.path.join(root, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            total += st.st_blocks * 512
            files.append((st.st_mtime, st.st_blocks * 512, os.path.relpath(path, upper)))
    return {"bytes": total, "files": files}


def written_since(files: list[tuple[float, int, str]], since: float, top: int = 6) -> dict:
    """Allocated bytes of the files (re)written after `since` (epoch s), and the largest."""
    recent = [(size, path) for mtime, size, path in files if mtime >= since]
    recent.sort(reverse=True)
    return {
        "count": len(recent),
        "bytes": sum(size for size, _ in recent),
        "largest": [{"path": "/" + p, "bytes": s} for s, p in recent[:top]],
    }


def process_writes(lab) -> dict[int, tuple[str, int]]:
    """Bytes each guest process has caused to be written to storage so far:
    /proc/PID/io `write_bytes` (pages it dirtied, mmap'd journal pages included), by host
    pid, for every process in the bridge's namespace."""
    out = {}
    for pid in netns.pids(lab.pi_ns):
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            io = dict(
                line.split(": ", 1) for line in Path(f"/proc/{pid}/io").read_text().splitlines()
            )
            out[pid] = (comm, int(io["write_bytes"]))
        except (OSError, KeyError, ValueError):
            continue
    return out


def writes_between(before: dict, after: dict, top: int = 6) -> dict:
    """Bytes written between two `process_writes` samples, by command name. A process that
    ended in between is missed (a lower bound); one that started counts from its start."""
    by_comm: dict[str, int] = {}
    for pid, (comm, written) in after.items():
        old = before.get(pid)
        start = old[1] if old and old[0] == comm and old[1] <= written else 0
        if written > start:
            by_comm[comm] = by_comm.get(comm, 0) + written - start
    ranked = sorted(by_comm.items(), key=lambda kv: -kv[1])
    return {
        "bytes": sum(by_comm.values()),
        "largest": [{"process": c, "bytes": b} for c, b in ranked[:top]],
    }
