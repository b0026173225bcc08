"""The doctor against the virtual lab: a booted, provisioned bridge host with a real sshd,
DHCP on eth0 from the PVS namespace, WiFi-side LAN in the home namespace.

The doctor runs in the home namespace (like a user's laptop). The destructive cases run
last (eth0 loses its lease), the lab is removed at the end.
"""

from __future__ import annotations

import json
import sys

import pytest

pytestmark = [pytest.mark.lab, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from bridge_cli.lab import Lab
    from bridge_cli.lab.provision import run_playbook

    lab = Lab("doctor")
    lab.down()
    lab.up(log=lambda *a, **k: None)
    try:
        proc = run_playbook(lab, capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail("provisioning the lab failed:\n" + proc.stdout[-3000:])
        lab.known_hosts = tmp_path_factory.mktemp("doctor-lab") / "known_hosts"
        lab.known_hosts.write_text("")
        yield lab
    finally:
        lab.down()


def doctor(lab, *extra: str) -> dict[str, dict]:
    argv = [
        sys.executable,
        "-m",
        "bridge_cli",
        "doctor",
        lab.bridge_address,
        "--ssh-user",
        lab.ssh_user,
        "--ssh-key",
        str(lab.ssh_key_path),
        "--ssh-known-hosts",
        str(lab.known_hosts),
        "--json",
        "--timeout",
        "5",
        *extra,
    ]
    proc = lab.run_home(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return {c["id"]: c for c in json.loads(proc.stdout)["checks"]}


def on_bridge(lab, *cmd: str) -> None:
    proc = lab.ssh(["sudo", "-n", *cmd], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_lab_bridge_is_healthy(lab):
    c = doctor(lab)
    failed = {i: f["summary"] for i, f in c.items() if f["status"] == "fail"}
    assert not failed
    for cid in (
        "bridge.http",
        "haproxy.backend",
        "pvs.info",
        "pvs.devicelist",
        "ssh.eth0_lease",
        "ssh.default_route",
        "ssh.resolv",
        "ssh.haproxy",
    ):
        assert c[cid]["status"] == "pass", (cid, c[cid])
    # The lab's guest has no thermal zone, no vcgencmd, no SD card: "not reported", no failure.
    for cid in ("ssh.temperature", "ssh.power", "ssh.sdcard"):
        assert c[cid]["status"] in ("info", "skip"), (cid, c[cid])
        assert "not reported" in c[cid]["summary"], (cid, c[cid])


def test_lab_default_route_via_eth0(lab):
    route = ("ip", "route", "add", "default", "via", "172.27.153.1", "dev", "eth0", "metric", "1")
    on_bridge(lab, *route)
    try:
        f = doctor(lab)["ssh.default_route"]
    finally:
        on_bridge(lab, "ip", "route", "del", *route[3:])
    assert f["status"] == "fail" and "default route goes via eth0" in f["summary"]


def test_lab_eth0_without_lease(lab):
    on_bridge(lab, "ip", "addr", "flush", "dev", "eth0")
    f = doctor(lab)["ssh.eth0_lease"]
    assert f["status"] == "fail" and "no DHCP lease" in f["summary"]
