"""Real new-firmware clients, unchanged, through a provisioned lab bridge (issue 12, item 5).

One lab: a 2025-firmware PVS6 simulator (build 61845, with a SunVault so pypvs's ESS
prefix match has something to find) behind a booted, provisioned bridge. SunStrong's pypvs
(the Home Assistant integration's library) runs in the lab's home namespace against the
bridge's address, as a user types it, first with :443 terminated on the bridge (the
default), then with the proxy role re-applied in pass-through mode. Ground truth for the
guard is the simulator's own counters, read inside the PVS namespace.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bridge_cli.lab import Lab, netns
from bridge_cli.lab import topology as topo
from bridge_cli.lab.provision import ansible_env, run_playbook, tool
from harness import proxy_attacks

pytestmark = [pytest.mark.lab, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("pypvs_probe.py")
NAME = "clients-newfw"
FIRMWARE = "61845"
SERIAL = "ZT214385001823A0748"  # the lab simulator's


class NewFirmwareLab(Lab):
    """The lab, its simulator with SunVault devices (pypvs's ESS updater reads them)."""

    def _simulator_argv(self) -> list[str]:
        return [*super()._simulator_argv(), "--ess"]


@pytest.fixture(scope="module")
def lab():
    lab = NewFirmwareLab(NAME, firmware=FIRMWARE)
    lab.down()
    try:
        lab.up(log=lambda *a, **k: None)
        proc = run_playbook(lab, capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail("provisioning the lab failed:\n" + proc.stdout[-3000:])
        yield lab
    finally:
        lab.down()


def pvs_counters(lab) -> dict:
    """The simulator's counters, asked inside the PVS namespace (never from the host)."""
    code = (
        "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("
        f"'http://{topo.PVS_ADDRESS}/_sim/counters', timeout=10).read().decode())"
    )
    argv = netns.exec_argv(lab.pvs_ns, [sys.executable, "-c", code])
    return json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)


def https_mode(lab, tmp_path, mode: str) -> None:
    """Only the proxy role again, with bridge_proxy_https_mode switched (as a user would)."""
    playbook = tmp_path / "proxy.yml"
    playbook.write_text(
        "- hosts: bridges\n  become: true\n  roles: [pvs_bridge.bridge.bridge_proxy]\n"
    )
    proc = subprocess.run(
        [tool("ansible-playbook"), "-i", str(lab.write_inventory()), str(playbook),
         "-e", f"bridge_proxy_https_mode={mode}"],
        cwd=ROOT, env=ansible_env(lab.state_dir), capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]


def run_pypvs(lab) -> dict:
    """pypvs_probe.py in the home namespace; the PVS's counters around its refused write."""
    argv = netns.exec_argv(lab.home_ns, [sys.executable, str(PROBE), lab.bridge_address])
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    steps: dict = {}
    try:
        for line in proc.stdout:
            step = json.loads(line)
            steps[step.pop("step")] = step
            if "ready" in steps and "before" not in steps:
                steps["before"] = pvs_counters(lab)["commands"]
                proc.stdin.write("go\n")
                proc.stdin.flush()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read()[-3000:]
    steps["after"] = pvs_counters(lab)["commands"]
    return steps


def check_pypvs(steps: dict) -> None:
    read = steps["read"]
    assert read["serial"] == SERIAL
    assert read["gateway"]["model"] and "61845" in read["gateway"]["sw"]  # by name
    assert read["inverters"] == 12 and read["meters"] >= 1 and read["ess"] >= 1
    # pypvs asks before it logs in: the PVS's 401, then a login and 200s.
    assert read["statuses"] in ([200], [200, 401])
    live = steps["live"]
    assert live["connected"] and live["pv_p"] is not None, live  # data over ws://bridge:9002
    # The switch, POSTed as a form (set=/sys/telemetryws/enable=1): allowlisted.
    assert live["statuses"] == [["POST", "/vars", 200]], live
    write = steps["write"]
    assert "POST request failed" in write["error"]
    assert write["statuses"] == [["POST", "/vars", 403]], write
    # Reached nothing: not the varserver, not a login (the bridge's health check aside).
    assert proxy_attacks.delta(steps["before"], steps["after"]) == {}


@pytest.mark.timeout(1200)
def test_pypvs_through_the_terminated_bridge(lab):
    check_pypvs(run_pypvs(lab))


def doctor(lab, tmp_path) -> dict[str, dict]:
    """`bridge-cli doctor --json` from the home namespace, with its SSH checks."""
    known = tmp_path / "known_hosts"
    known.write_text("")
    argv = [sys.executable, "-m", "bridge_cli", "doctor", lab.bridge_address,
            "--ssh-user", lab.ssh_user, "--ssh-key", str(lab.ssh_key_path),
            "--ssh-known-hosts", str(known), "--json", "--timeout", "5"]  # fmt: skip
    proc = lab.run_home(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return {c["id"]: c for c in json.loads(proc.stdout)["checks"]}


@pytest.mark.timeout(600)
def test_doctor_tells_the_new_firmware_side(lab, tmp_path):
    """Issue 12 item 6 on a real provisioned bridge: the generation, :443 terminated with
    the bridge's certificate, the PVS still the pinned one, the mDNS advertisement, what the
    guard lets through (the facts read over SSH)."""
    c = doctor(lab, tmp_path)
    assert c["pvs.firmware"]["status"] == "info" and "build 61845" in c["pvs.firmware"]["summary"]
    assert c["bridge.https"]["status"] == "pass", c["bridge.https"]
    assert "terminated on the bridge" in c["bridge.https"]["summary"]
    assert c["ssh.pvs_pin"]["status"] == "pass", c["ssh.pvs_pin"]
    assert c["ssh.mdns"]["status"] == "pass", c["ssh.mdns"]
    assert "_pvs6._tcp" in c["ssh.mdns"]["summary"]
    assert "/sys/telemetryws/enable=1" in c["ssh.guard_allows"]["summary"]


@pytest.mark.timeout(900)
def test_pypvs_through_the_passthrough_bridge(lab, tmp_path):
    """Pass-through: TLS ends at the PVS, the bridge sees no request; pypvs still works,
    and its battery write is refused by the PVS's own (simulated) varserver rules, not by
    the bridge: so only the 403 of the terminated mode proves the guard."""
    https_mode(lab, tmp_path, "passthrough")  # the last test of the module: left so
    steps = run_pypvs(lab)
    read = steps["read"]
    assert read["serial"] == SERIAL and read["inverters"] == 12 and read["ess"] >= 1
    assert steps["live"]["connected"] and steps["live"]["pv_p"] is not None
    assert "vars" in proxy_attacks.delta(steps["before"], steps["after"])  # reached the PVS
    https = doctor(lab, tmp_path)["bridge.https"]
    assert https["status"] == "info" and "passed through" in https["summary"], https
