"""An armhf bridge (BRIDGE_LAB_ARCH=armhf: Debian armhf under qemu-user, the nearest
stand-in for 32-bit Raspberry Pi OS) converged with the real playbook, re-run without a
change, and verified with the molecule scenarios' testinfra tests.

Bullseye (dhcpcd, as Raspberry Pi OS Bullseye on a Pi Zero W): NetworkManager (Bookworm,
Trixie) aborts under qemu-user, whose netlink translation is incomplete (docs/reliability.md).

Slow (everything on the guest is emulated): not in `make test`; `make test-arm` runs it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bridge_cli.lab import Lab

ROOT = Path(__file__).resolve().parents[2]
NAME = "arm"

pytestmark = [
    pytest.mark.lab,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("BRIDGE_TEST_ARM"),
        reason="the armhf guest runs under qemu-user (slow): run `make test-arm`",
    ),
]


def known_blocker(out: str) -> bool:
    """The run stopped at the host name task, on hostnamectl's D-Bus timeout (and nowhere
    else): known, see docs/reliability.md. Any other failure fails the test."""
    failed_task = out.rsplit("fatal: [", 1)[0].rsplit("TASK [", 1)[-1]
    return failed_task.startswith("bridge_base : Set the host name]") and (
        "Could not get property: Connection timed out" in out
    )


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "bridge_cli", "lab", *args]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.timeout(3600)
def test_an_armhf_bridge_converges_idempotently_and_verifies():
    env = {**os.environ, "BRIDGE_LAB_ARCH": "armhf"}
    lab = Lab(NAME)
    try:
        up = cli("up", "--name", NAME, "--release", "bullseye", env=env)
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
        arch = lab.ssh(["dpkg", "--print-architecture"], capture_output=True, text=True)
        assert arch.stdout.strip() == "armhf", arch
        # As the molecule scenarios' converge: the optional upgrades on, so verify checks them.
        upgrades = ("-e", "bridge_base_unattended_upgrades=true")
        first = cli("provision", "--name", NAME, *upgrades, env=env)
        if first.returncode != 0 and known_blocker(first.stdout):
            pytest.xfail(
                "bridge_base's 'Set the host name' (hostname module, use: debian = hostnamectl"
                " in ansible-core 2.19) gets no answer from systemd-hostnamed under qemu-user"
            )
        assert first.returncode == 0, first.stdout[-4000:]
        again = cli("provision", "--name", NAME, *upgrades, env=env)
        assert again.returncode == 0, again.stdout[-4000:]
        recap = re.search(r"changed=(\d+)", again.stdout.rsplit("PLAY RECAP", 1)[-1])
        assert recap and recap.group(1) == "0", again.stdout[-4000:]
        verify = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "--hosts", f"paramiko://{lab.host_alias}", "--ssh-config", str(lab.ssh_config_path),
             str(ROOT / "molecule" / "shared" / "tests")],
            cwd=ROOT, env={**env, "BRIDGE_LAB_NAME": NAME}, capture_output=True, text=True,
        )  # fmt: skip
        assert verify.returncode == 0, verify.stdout[-4000:]
    finally:
        lab.down()
