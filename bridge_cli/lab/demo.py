"""`bridge-cli lab demo`: the whole system without hardware, in one command.

Boots a bookworm lab (building the base image the first time), provisions the bridge with
the real playbook, runs `bridge-cli doctor` against it from the home LAN side, and prints
how to reach it. Leaves the lab up for the user (`bridge-cli lab down --name demo`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from bridge_cli.lab import image
from bridge_cli.lab.lab import Lab
from bridge_cli.lab.provision import run_playbook

RELEASE = "bookworm"


def doctor_argv(lab: Lab) -> list[str]:
    return [
        sys.executable, "-m", "bridge_cli", "doctor", lab.bridge_address,
        "--ssh-user", lab.ssh_user, "--ssh-key", str(lab.ssh_key_path),
        "--ssh-known-hosts", str(lab.state_dir / "known_hosts"), "--ssh-strict",
    ]  # fmt: skip


def run_demo(name: str = "demo", echo=print) -> int:
    timings: dict[str, float] = {}
    lab = Lab(name, RELEASE)
    if lab.is_up():
        echo(f"taking down the previous lab {name!r} first")
        lab.down()
    cold = not image.is_complete(image.base_path(RELEASE))
    started = time.monotonic()
    lab.up(log=echo)
    timings["lab up" + (" (cold: base image built)" if cold else " (base cached)")] = (
        time.monotonic() - started
    )
    echo("provisioning the bridge with playbooks/site.yml ...")
    started = time.monotonic()
    result = run_playbook(lab, [])
    timings["converge (playbooks/site.yml)"] = time.monotonic() - started
    if result.returncode != 0:
        echo(f"provisioning failed (ansible-playbook exit {result.returncode}); the lab is left "
             f"up to look into: bridge-cli lab ssh --name {name}")  # fmt: skip
        return 1
    echo(f"running the doctor from the home LAN side against {lab.bridge_address} ...")
    started = time.monotonic()
    status = lab.run_home(doctor_argv(lab), stdin=subprocess.DEVNULL).returncode
    timings["doctor"] = time.monotonic() - started
    echo("")
    echo("timings:")
    for what, seconds in timings.items():
        echo(f"  {what}: {seconds:.1f} s")
    echo(reach_text(lab))
    return status


def _bridge_cli() -> str:
    """How to call bridge-cli inside `lab exec` (which keeps PATH): by name if on PATH."""
    local = Path(sys.executable).parent / "bridge-cli"
    if shutil.which("bridge-cli") or not local.exists():
        return "bridge-cli"
    return str(local)


def reach_text(lab: Lab) -> str:
    addr = lab.bridge_address
    opt = f" --name {lab.name}"
    return (
        f"\nThe bridge is up at {addr} on the lab's home LAN (reach it from the home side):\n"
        f"  bridge-cli lab exec{opt} -- curl -s "
        f"'http://{addr}/cgi-bin/dl_cgi?Command=DeviceList'\n"
        f"  bridge-cli lab exec{opt} -- curl -s --compressed -H 'Accept-Encoding: gzip' "
        f"'http://{addr}/cgi-bin/dl_cgi?Command=DeviceList'\n"
        f"  bridge-cli lab exec{opt} -- curl -s 'http://{addr}:8080/;csv'   # haproxy stats\n"
        f"  bridge-cli lab exec{opt} -- {_bridge_cli()} doctor {addr} --no-ssh\n"
        f"  bridge-cli lab ssh{opt}\n"
        f"  bridge-cli lab provision{opt}      # run the playbook again (idempotent)\n"
        f"  bridge-cli lab down{opt}"
    )
