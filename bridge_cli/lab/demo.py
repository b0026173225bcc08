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
    device_list_ok, text = device_list_text(lab)
    echo(text)
    echo(f"running the doctor from the home LAN side against {lab.bridge_address} ...")
    started = time.monotonic()
    status = lab.run_home(doctor_argv(lab), stdin=subprocess.DEVNULL).returncode
    timings["doctor"] = time.monotonic() - started
    echo("")
    echo("timings:")
    for what, seconds in timings.items():
        echo(f"  {what}: {seconds:.1f} s")
    echo(reach_text(lab))
    return status if device_list_ok else 1


def device_list_text(lab: Lab) -> tuple[bool, str]:
    """DeviceList fetched from the home LAN through the bridge (what a dashboard sees)."""
    import base64
    import json

    url = f"http://{lab.bridge_address}/cgi-bin/dl_cgi?Command=DeviceList"
    proc = lab.run_home(
        [sys.executable, "-m", "bridge_cli.lab.httpget", url, "--timeout", "60"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        answer = json.loads(proc.stdout)
        devices = json.loads(base64.b64decode(answer["body_b64"]))["devices"]
    except (ValueError, KeyError, TypeError):
        got = (proc.stdout + proc.stderr).strip()[:300]
        return False, f"DeviceList through the bridge FAILED: {got}"
    kinds: dict[str, int] = {}
    for device in devices:
        kind = str(device.get("DEVICE_TYPE", "?"))
        kinds[kind] = kinds.get(kind, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    return True, f"DeviceList through the bridge (GET {url}, HTTP {answer['status']}): {summary}"


def _bridge_cli() -> str:
    """How to call bridge-cli inside `lab exec` (which keeps PATH): by name if on PATH."""
    local = Path(sys.executable).parent / "bridge-cli"
    if shutil.which("bridge-cli") or not local.exists():
        return "bridge-cli"
    return str(local)


def reach_text(lab: Lab) -> str:
    addr = lab.bridge_address
    cli = _bridge_cli()  # the venv's bridge-cli by its path when it is not on PATH
    opt = f" --name {lab.name}"
    curl = "" if shutil.which("curl") else "\n  (curl is not installed here: apt-get install curl)"
    return (
        f"\nThe bridge is up at {addr} on the lab's home LAN (reach it from the home side):\n"
        f"  {cli} lab exec{opt} -- curl -s "
        f"'http://{addr}/cgi-bin/dl_cgi?Command=DeviceList'\n"
        f"  {cli} lab exec{opt} -- curl -s --compressed -H 'Accept-Encoding: gzip' "
        f"'http://{addr}/cgi-bin/dl_cgi?Command=DeviceList'\n"
        f"  {cli} lab exec{opt} -- curl -s 'http://{addr}:8080/;csv'   # haproxy stats\n"
        f"  {cli} lab exec{opt} -- {cli} doctor {addr} --no-ssh\n"
        f"  {cli} lab ssh{opt}\n"
        f"  {cli} lab provision{opt}      # run the playbook again (idempotent)\n"
        f"  {cli} lab down{opt}{curl}"
    )
