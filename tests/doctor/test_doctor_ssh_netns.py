"""The SSH checks end to end: a real SSH server (paramiko) inside a network namespace this
test builds like a bridge (veth eth0 and wlan0), the real doctor CLI in that namespace.

The namespace gets the addresses a bridge has (172.27.153.x on eth0 from the PVS, a home
LAN on wlan0), so `ip -j addr`/`ip -j route` report real kernel state for each case:
healthy, eth0 without a lease, default route via eth0, resolv.conf pointing at the PVS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import paramiko
import pytest

HERE = Path(__file__).resolve().parent

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and iproute2"
)


def ns_run(ns: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", ns, *argv], check=check, capture_output=True)


@pytest.fixture
def fake_bridge(tmp_path):
    """(namespace, run_doctor) with an SSH server on 127.0.0.1:22 inside the namespace."""
    ns = f"doctor-s{os.getpid()}-{time.monotonic_ns() % 100000}"
    etc = Path("/etc/netns") / ns
    subprocess.run(["ip", "netns", "add", ns], check=True)
    server = None
    try:
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").write_text("nameserver 192.168.77.1\n")
        for cmd in (
            "ip link set lo up",
            "ip link add eth0 type veth peer name pvs0",
            "ip link add wlan0 type veth peer name home0",
            "ip link set pvs0 up",
            "ip link set home0 up",
            "ip link set eth0 up",
            "ip link set wlan0 up",
            "ip addr add 192.168.77.20/24 dev wlan0",
            "ip route add default via 192.168.77.1 dev wlan0 metric 600",
        ):
            ns_run(ns, *cmd.split())
        host_key = tmp_path / "host_key"
        paramiko.RSAKey.generate(2048).write_private_key_file(str(host_key))
        client_key = tmp_path / "id_ed25519"
        key = paramiko.RSAKey.generate(2048)
        key.write_private_key_file(str(client_key))
        pub = tmp_path / "id.pub"
        pub.write_text(f"{key.get_name()} {key.get_base64()}\n")
        server = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns,
                sys.executable,
                str(HERE / "ssh_server.py"),
                "127.0.0.1",
                "22",
                str(host_key),
                str(pub),
                "pi",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert server.stdout.readline().strip() == b"ready"
        known = tmp_path / "known_hosts"
        known.write_text("")

        def doctor(*extra: str) -> dict:
            proc = ns_run(
                ns,
                sys.executable,
                "-m",
                "bridge_cli",
                "doctor",
                "127.0.0.1",
                "--ssh-key",
                str(client_key),
                "--ssh-known-hosts",
                str(known),
                "--json",
                "--timeout",
                "2",
                *extra,
                check=False,
            )
            assert proc.returncode in (0, 1), proc.stderr
            doc = json.loads(proc.stdout)
            return {c["id"]: c for c in doc["checks"]}

        yield ns, doctor
    finally:
        if server is not None:
            server.terminate()
            server.wait(5)
        subprocess.run(["ip", "netns", "del", ns], check=False)
        shutil.rmtree(etc, ignore_errors=True)


def test_healthy_bridge_network(fake_bridge):
    ns, doctor = fake_bridge
    ns_run(ns, *"ip addr add 172.27.153.14/24 dev eth0 valid_lft 3600 preferred_lft 3600".split())
    c = doctor()
    assert c["ssh.connect"]["status"] == "warn"  # host key not in known_hosts: TOFU warning
    assert "not in known_hosts" in c["ssh.connect"]["summary"]
    assert "SHA256:" in c["ssh.connect"]["detail"]
    assert c["ssh.eth0_lease"]["status"] == "pass", c["ssh.eth0_lease"]
    assert "172.27.153.14" in c["ssh.eth0_lease"]["summary"]
    assert c["ssh.default_route"]["status"] == "pass", c["ssh.default_route"]
    assert c["ssh.resolv"]["status"] == "pass"
    assert c["ssh.ip_forward"]["status"] == "pass"
    assert c["ssh.disk"]["status"] in ("pass", "warn", "fail")  # the host's real disk
    assert c["ssh.memory"]["status"] in ("pass", "warn", "fail")
    assert c["ssh.power"]["status"] == "skip"  # no vcgencmd here
    # no systemd here: haproxy "is-active" cannot be active
    assert c["ssh.haproxy"]["status"] == "fail"


def test_eth0_without_lease(fake_bridge):
    _, doctor = fake_bridge
    c = doctor()
    f = c["ssh.eth0_lease"]
    assert f["status"] == "fail" and "no DHCP lease" in f["summary"]


def test_default_route_via_eth0(fake_bridge):
    ns, doctor = fake_bridge
    ns_run(ns, *"ip addr add 172.27.153.14/24 dev eth0".split())
    ns_run(ns, *"ip route del default".split())
    ns_run(ns, *"ip route add default via 172.27.153.1 dev eth0 metric 100".split())
    ns_run(ns, *"ip route add default via 192.168.77.1 dev wlan0 metric 600".split())
    f = doctor()["ssh.default_route"]
    assert f["status"] == "fail" and "default route goes via eth0" in f["summary"]


def test_resolv_conf_pointing_at_pvs(fake_bridge):
    ns, doctor = fake_bridge
    (Path("/etc/netns") / ns / "resolv.conf").write_text("nameserver 172.27.153.1\n")
    f = doctor()["ssh.resolv"]
    assert f["status"] == "fail" and "points at the PVS" in f["summary"]


def test_ip_forwarding_on(fake_bridge):
    ns, doctor = fake_bridge
    ns_run(ns, "sysctl", "-w", "net.ipv4.ip_forward=1")
    assert doctor()["ssh.ip_forward"]["status"] == "warn"


def test_strict_refuses_unknown_host_key(fake_bridge):
    _, doctor = fake_bridge
    c = doctor("--ssh-strict")
    assert c["ssh.connect"]["status"] == "fail"
    assert c["ssh.eth0_lease"]["status"] == "skip"


def test_wrong_key_is_refused(fake_bridge, tmp_path):
    _, doctor = fake_bridge
    other = tmp_path / "other"
    paramiko.RSAKey.generate(2048).write_private_key_file(str(other))
    c = doctor("--ssh-key", str(other))
    assert c["ssh.connect"]["status"] == "fail"
    assert "authentication refused" in c["ssh.connect"]["summary"]
