"""The bridge host: a Debian base booted with systemd under systemd-nspawn.

It boots on an overlay (`--overlay=+/:<upper>:/`): every write lands in the lab's upper
dir, so the cached base stays pristine and a guest reboot keeps its changes. Without a
host systemd nobody restarts nspawn after a guest reboot (exit status 133), so a small
supervisor (`python -m bridge_cli.lab.machine`) runs nspawn in a loop.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from bridge_cli.lab import image, netns, procs

REBOOT_STATUS = 133
SUPERVISOR_PID = "machine.pid"
NSPAWN_PID = "nspawn.pid"
LOG = "machine.log"


def boot_argv(base: Path, upper: Path, machine: str, pi_ns: str) -> list[str]:
    return [
        "systemd-nspawn", "--register=no", "--keep-unit", "-q",
        "-M", machine, "-D", str(base), f"--overlay=+/:{upper}:/", "-b",
        f"--network-namespace-path={netns.NETNS_DIR / pi_ns}",
        "--capability=CAP_NET_ADMIN", "--resolv-conf=off", "--timezone=off",
        "--link-journal=no", "--console=read-only",
    ]  # fmt: skip


def start(base: Path, state_dir: Path, machine: str, pi_ns: str) -> int:
    upper = state_dir / "upper"
    upper.mkdir(exist_ok=True)
    argv = [
        sys.executable, "-m", "bridge_cli.lab.machine",
        "--child-pid-file", str(state_dir / NSPAWN_PID), "--",
        *boot_argv(base, upper, machine, pi_ns),
    ]  # fmt: skip
    return procs.spawn(argv, state_dir / SUPERVISOR_PID, state_dir / LOG, env=image.nspawn_env())


def stop(state_dir: Path, timeout: float = 20.0) -> None:
    """Power the guest off (SIGTERM to the supervisor, which passes it to nspawn)."""
    upper = f"{state_dir / 'upper'}:"
    procs.stop(state_dir / SUPERVISOR_PID, expect=upper, timeout=timeout)
    # A supervisor killed hard may leave nspawn behind.
    procs.stop(state_dir / NSPAWN_PID, expect=upper, timeout=timeout)


def supervisor_pid(state_dir: Path) -> int | None:
    return procs.read_pid(state_dir / SUPERVISOR_PID)


def running(state_dir: Path) -> bool:
    return procs.alive(procs.read_pid(state_dir / NSPAWN_PID))


def guest_pid(state_dir: Path) -> int | None:
    """Host pid of the guest's PID 1 (for nsenter), or None."""
    nspawn = procs.read_pid(state_dir / NSPAWN_PID)
    if not procs.alive(nspawn):
        return None
    try:
        for task in Path(f"/proc/{nspawn}/task").iterdir():
            children = (task / "children").read_text().split()
            if children:
                return int(children[0])
    except OSError:
        return None
    return None


def supervise(argv: list[str], child_pid_file: Path) -> int:
    """Run nspawn until it exits with anything but 133 (guest reboot) or we are stopped."""
    stopping = False
    child: subprocess.Popen | None = None

    def on_term(signum, _frame):
        nonlocal stopping
        stopping = True
        if child and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    while True:
        child = subprocess.Popen(argv)
        child_pid_file.write_text(f"{child.pid}\n")
        status = child.wait()
        if stopping or status != REBOOT_STATUS:
            child_pid_file.unlink(missing_ok=True)
            print(f"machine: nspawn exited with status {status}", flush=True)
            return status
        print("machine: guest rebooted (status 133); booting again", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bridge_cli.lab.machine")
    parser.add_argument("--child-pid-file", required=True, type=Path)
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    os.environ.setdefault("SYSTEMD_NSPAWN_LOCK", "0")
    return supervise(argv, args.child_pid_file)


if __name__ == "__main__":
    sys.exit(main())
