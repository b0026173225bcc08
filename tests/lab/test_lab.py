"""The lab itself, for real: namespaces, DHCP, a booted nspawn guest, SSH, cleanup.

One bookworm lab is shared by the module (booting costs seconds once the base is cached;
building the base the first time costs about a minute).
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from bridge_cli.errors import BridgeFailure
from bridge_cli.lab import Lab, image, netns
from bridge_cli.lab import topology as topo
from bridge_cli.lab.provision import ansible_env, tool

pytestmark = [pytest.mark.lab, pytest.mark.slow]

NAME = "pytest-lab"


def fingerprint(root: Path) -> set[tuple]:
    """Every path of a tree with its size, mode and mtime: changes if anything is written."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            out.add((os.path.relpath(os.path.join(dirpath, name), root), st.st_size,
                     st.st_mode, st.st_mtime_ns))  # fmt: skip
    return out


def lab_pids(lab: Lab) -> list[int]:
    return [pid for ns in lab.names.namespaces for pid in netns.pids(ns)]


def leftovers(lab: Lab) -> list[str]:
    """Processes (any namespace) and mounts that still mention the lab's state dir or its
    namespace/machine names: the supervisor and nspawn run in the host namespace, so a
    namespace's pid list alone would not see them."""
    marks = (str(lab.state_dir), *lab.names.namespaces, f" {lab.names.machine} ")
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmd = " " + (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode() + " "
            zombie = ") Z " in (proc / "stat").read_text()
        except OSError:
            continue
        if not zombie and any(m in cmd for m in marks):
            found.append(f"pid {proc.name}: {cmd.strip()[:150]}")
    mounts = Path("/proc/mounts").read_text().splitlines()
    found += [f"mount: {m}" for m in mounts if str(lab.state_dir) in m]
    return found


def host_addresses() -> str:
    return (
        subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True).stdout
        + (
            subprocess.run(["ip", "route", "show", "table", "all"], capture_output=True, text=True)
        ).stdout
    )


@pytest.fixture(scope="module")
def base() -> tuple[Path, set]:
    path = image.ensure_base("bookworm")
    return path, fingerprint(path)


@pytest.fixture(scope="module")
def lab(base):
    the_lab = Lab(NAME, "bookworm")
    the_lab.down()
    the_lab.up(log=lambda m: None)
    yield the_lab
    the_lab.down()


def test_bridge_is_booted_and_reachable_by_ssh_key(lab):
    out = lab.ssh(["systemctl", "is-system-running", "--wait"], capture_output=True, text=True)
    assert out.stdout.strip() in ("running", "degraded"), out.stdout + out.stderr
    who = lab.ssh(["sudo", "-n", "id", "-un"], capture_output=True, text=True, check=True)
    assert who.stdout.strip() == "root"


def test_unprovisioned_bridge_has_the_real_problem(lab):
    """DHCP on eth0 from the PVS gives a default route that beats wlan0's."""
    routes = lab.ssh(["ip", "-4", "route", "show", "default"], capture_output=True, text=True)
    first = routes.stdout.splitlines()[0]
    assert "via 172.27.153.1 dev eth0" in first
    assert f"src {lab.bridge_address}" in routes.stdout


def test_offline_debs_are_in_the_guest_apt_cache(lab):
    ls = lab.ssh(["ls", "/var/cache/apt/archives"], capture_output=True, text=True, check=True)
    for package in ("haproxy_", "avahi-daemon_", "libnss-mdns_", "locales_"):
        assert package in ls.stdout
    which = lab.ssh(["dpkg-query", "-W", "haproxy"], capture_output=True, text=True)
    assert which.returncode != 0, "haproxy must not be installed before provisioning"


def test_nothing_of_the_lab_in_the_host_namespace(lab):
    text = host_addresses()
    assert "10.77.0." not in text
    assert "172.27.153." not in text
    assert netns.host_has_lab_interfaces() == []


def test_status_reports_up(lab):
    st = lab.status()
    assert st["state"] == "up"
    assert all(st["namespaces"].values())
    assert st["bridge_address"] == topo.BRIDGE_HOME_ADDRESS
    assert any(lease["mac"] == topo.ETH0_MAC for lease in st["leases"]["pvs"])


def test_secrets_and_keys_are_private(lab):
    for name in ("id_ed25519", "inventory.yml", "lab.json"):
        mode = stat.S_IMODE((lab.state_dir / name).stat().st_mode)
        assert mode == 0o600, name


def test_ansible_reaches_the_bridge_with_the_lab_inventory(lab):
    inventory = lab.write_inventory()
    data = yaml.safe_load(inventory.read_text())
    assert f"lab-{NAME}" in data["bridges"]["hosts"]
    assert data["bridges"]["vars"]["bridge_base_apt_update_cache"] is False
    result = subprocess.run(
        [tool("ansible"), "-i", str(inventory), "bridges", "-m", "ansible.builtin.ping"],
        capture_output=True, text=True, env=ansible_env(lab.state_dir), timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"ping": "pong"' in result.stdout


def test_run_home_is_inside_the_home_namespace(lab):
    out = lab.run_home(["ip", "-4", "-o", "addr", "show", "home0"], capture_output=True, text=True)
    assert f"{topo.HOME_ROUTER}/24" in out.stdout


SEND_MDNS = (
    "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
    "s.sendto(bytes(12), ('224.0.0.251', 5353)); print('sent')"
)


@pytest.mark.parametrize("side", ["home", "pvs"])
def test_both_sides_carry_multicast(lab, side):
    """A plain mDNS query (no interface chosen) leaves: without the lab's multicast route
    it fails with "Network is unreachable" (neither side has a default route)."""
    ns = lab.names.home_ns if side == "home" else lab.names.pvs_ns
    out = subprocess.run(netns.exec_argv(ns, ["python3", "-c", SEND_MDNS]),
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    assert out.stdout.strip() == "sent", out.stderr


def test_simulator_answers_on_the_pvs_side_from_the_bridge(lab):
    url = f"http://{topo.PVS_ADDRESS}/cgi-bin/dl_cgi?Command=DeviceList"
    out = lab.ssh(["curl", "-sS", "-m", "10", url], capture_output=True, text=True)
    assert '"devices"' in out.stdout, out.stderr


def test_guest_reboot_comes_back_with_its_changes(lab):
    lab.ssh(["sudo", "touch", "/etc/pvs-bridge-lab-reboot-mark"], check=True)
    lab.ssh(["sudo", "systemctl", "reboot"])
    # nspawn exits 133; the supervisor boots the guest again on the same overlay.
    ok = False
    for _ in range(120):
        result = lab.ssh(["test", "-e", "/etc/pvs-bridge-lab-reboot-mark"], capture_output=True)
        if result.returncode == 0:
            ok = True
            break
        time.sleep(0.5)
    assert ok
    assert "guest rebooted" in (lab.state_dir / "machine.log").read_text()


def test_second_up_of_the_same_lab_is_refused(lab):
    with pytest.raises(BridgeFailure, match="already up"):
        Lab(NAME, "bookworm").up(log=lambda m: None)
    assert lab.status()["state"] == "up"


def test_failed_up_leaves_nothing_behind(base):
    failing = Lab("pytest-fail", "bookworm")
    failing.down()
    with pytest.raises(BridgeFailure, match="everything removed"):
        failing.up(log=lambda m: None, timeout=0.01)
    assert not any(netns.exists(ns) for ns in failing.names.namespaces)
    assert not failing.state_dir.exists()
    assert failing.status()["state"] == "down"
    assert leftovers(failing) == []


def test_up_after_a_crash_cleans_the_leftovers_and_boots(base):
    crashed = Lab("pytest-crash", "bookworm")
    crashed.down()
    crashed.up(log=lambda m: None)
    try:
        for pid_file in ("machine.pid", "nspawn.pid"):
            os.kill(int((crashed.state_dir / pid_file).read_text()), signal.SIGKILL)
        for _ in range(100):
            if crashed.status()["state"] == "broken":
                break
            time.sleep(0.1)
        assert crashed.status()["state"] == "broken"
        crashed.up(log=lambda m: None)
        assert crashed.ssh(["true"]).returncode == 0
    finally:
        crashed.down()
    assert not any(netns.exists(ns) for ns in crashed.names.namespaces)
    assert leftovers(crashed) == []


def test_down_removes_everything_and_cache_stays_pristine(base, lab):
    path, before = base
    pids = lab_pids(lab)
    assert pids
    lab.down()
    assert not any(netns.exists(ns) for ns in lab.names.namespaces)
    assert not lab.state_dir.exists()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    assert leftovers(lab) == []
    assert fingerprint(path) == before
    assert image.is_complete(path)


@pytest.fixture()
def own_lab(base):
    """A lab of this test's own: the module's lab is taken down by the tests before."""
    the_lab = Lab("pytest-wheel", "bookworm")
    the_lab.down()
    the_lab.up(log=lambda m: None)
    yield the_lab
    the_lab.down()


def test_installed_wheel_provisions_in_check_mode_from_outside_the_checkout(
    own_lab, installed_wheel, tmp_path
):
    """`pip install` of the built wheel (not editable) gives a bridge-cli whose provision
    finds its own playbook, roles and filters: a real --check run against the lab bridge."""
    inventory = own_lab.write_inventory()
    env = {
        "PATH": f"{installed_wheel}:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(tmp_path),
    }
    out = subprocess.run(
        [str(installed_wheel / "bridge-cli"), "provision", "-i", str(inventory), "--check"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "failed=0" in out.stdout and "unreachable=0" in out.stdout
    assert "bridge_proxy" in out.stdout  # the roles ran (task names carry the role name)
