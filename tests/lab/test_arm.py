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
import shlex
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from bridge_cli.lab import Lab
from bridge_cli.lab.inventory import HOSTNAME

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


# cloud-init (Raspberry Pi OS Trixie) renders /etc/hosts from this template at every boot
# when manage_etc_hosts is on. A stand-in of the same shape (cloud-init is not in the lab).
CLOUD_HOSTS = "/etc/cloud/templates/hosts.debian.tmpl"
CLOUD_HOSTS_STANDIN = """## template:jinja
{# pvs-bridge lab: stands for cloud-init's hosts template (manage_etc_hosts: true) #}
127.0.1.1 {{fqdn}} {{hostname}}
127.0.0.1 localhost
"""


# Left out on the ARM guest: under qemu-user every read of dhcpcd's netlink socket fails
# (EINVAL, "dhcpcd_handlelink: Invalid argument"), so dhcpcd never hears that wlan0 lost its
# carrier and keeps its lease. A limit of qemu-user's netlink translation: the amd64 lab
# guests run this check with the same dhcpcd and the same roles.
RECONNECT = (
    "molecule/shared/tests/test_z_reconnect.py::test_the_bridge_rejoins_the_home_network_by_itself"
)


def render_cloud_hosts(template: str, first_boot_name: str) -> str:
    """What cloud-init would write to /etc/hosts at the next boot (its templater: the
    header line dropped, jinja with the host name of the first boot)."""
    body = template.split("\n", 1)[1]
    return jinja2.Template(body, undefined=jinja2.StrictUndefined).render(
        hostname=first_boot_name, fqdn=first_boot_name
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
        # ssh hands the words to the guest's shell: the script goes as one quoted word.
        script = shlex.quote(f"mkdir -p {Path(CLOUD_HOSTS).parent}; cat > {CLOUD_HOSTS}")
        seed = lab.ssh(
            ["sudo", "sh", "-c", script],
            input=CLOUD_HOSTS_STANDIN, stdin=None, capture_output=True, text=True,
        )  # fmt: skip
        assert seed.returncode == 0, seed.stderr
        # As the molecule scenarios' converge: the optional upgrades on, so verify checks them.
        upgrades = ("-e", "bridge_base_unattended_upgrades=true")
        first = cli("provision", "--name", NAME, *upgrades, env=env)
        assert first.returncode == 0, first.stdout[-4000:]
        again = cli("provision", "--name", NAME, *upgrades, env=env)
        assert again.returncode == 0, again.stdout[-4000:]
        recap = re.search(r"changed=(\d+)", again.stdout.rsplit("PLAY RECAP", 1)[-1])
        assert recap and recap.group(1) == "0", again.stdout[-4000:]
        verify = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "--hosts", f"paramiko://{lab.host_alias}", "--ssh-config", str(lab.ssh_config_path),
             "--deselect", RECONNECT, str(ROOT / "molecule" / "shared" / "tests")],
            cwd=ROOT, env={**env, "BRIDGE_LAB_NAME": NAME}, capture_output=True, text=True,
        )  # fmt: skip
        assert verify.returncode == 0, verify.stdout[-4000:]
        # The one check left out, and only while its cause holds (see RECONNECT).
        netlink = lab.ssh(
            ["sudo", "journalctl", "-u", "dhcpcd", "--no-pager", "-g", "dhcpcd_handlelink"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert "Invalid argument" in netlink.stdout, (
            "dhcpcd's netlink reads no longer fail under qemu-user: run the reconnect check "
            f"on the ARM guest too (drop --deselect {RECONNECT})"
        )
        template = lab.ssh(["cat", CLOUD_HOSTS], capture_output=True, text=True, check=True)
        rendered = render_cloud_hosts(template.stdout, "raspberrypi")
        ours = [f"127.0.1.1\t{HOSTNAME}"]
        assert re.findall(r"^127\.0\.1\.1\s.*$", rendered, re.M) == ours, rendered
    finally:
        lab.down()
