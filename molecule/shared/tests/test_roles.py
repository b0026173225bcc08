"""What the roles promise, checked on a converged lab bridge (molecule verify, testinfra).

State on the bridge is read over SSH (testinfra's ``host``); the guard is tried from the
home side (curl inside the lab's home namespace), where the bridge's users are.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from bridge_cli.lab import Lab

LAB = Lab(os.environ.get("BRIDGE_LAB_NAME", "mol-bookworm"))
PVS_LINK = "eth0"
WPA_CONF = "/etc/wpa_supplicant/wpa_supplicant.conf"
NM_DIR = "/etc/NetworkManager/system-connections"


def home_curl(*args: str) -> str:
    argv = ["ip", "netns", "exec", LAB.home_ns, "curl", "-sS", "-m", "20", *args]
    return subprocess.run(argv, capture_output=True, check=True, text=True).stdout


@pytest.fixture(scope="module")
def on_bridge(host):
    """The doctor's checks of the bridge itself, as `bridge-cli doctor` and verify.yml run
    them (bridge_cli.doctor.onbridge: one implementation), judged from the lab bridge."""
    from bridge_cli.doctor import onbridge, ssh_parsers

    with host.sudo():
        out = host.run(onbridge.SCRIPT)
    findings = onbridge.judge_all(ssh_parsers.split_script_output(out.stdout))
    return {f.id: f for f in findings}


@pytest.mark.parametrize(
    "check_id",
    ["ssh.eth0_lease", "ssh.default_route", "ssh.resolv", "ssh.ip_forward", "ssh.haproxy"],
)
def test_the_doctors_checks_of_the_bridge_pass(on_bridge, check_id):
    assert on_bridge[check_id].status == "pass", on_bridge[check_id]


def test_no_check_of_the_bridge_fails(on_bridge):
    failed = [f for f in on_bridge.values() if f.status == "fail"]
    assert not failed, failed


def test_the_lease_is_judged_in_the_subnet_the_role_recorded(host):
    with host.sudo():
        fact = host.file("/etc/ansible/facts.d/bridge_pvs_link.fact").content_string
    assert '"subnet": "172.27.153.0/24"' in fact and f'"interface": "{PVS_LINK}"' in fact


def test_ip_forwarding_stays_off_after_a_reboot(host):
    assert "net.ipv4.ip_forward = 0" in host.file("/etc/sysctl.d/90-pvs-bridge.conf").content_string


def test_haproxy_starts_at_boot(host):
    assert host.service("haproxy").is_enabled


def test_nothing_pinned_yet_the_bridge_keeps_looking_for_the_pvs_certificate(host):
    """The lab's PVS runs legacy firmware (no HTTPS): haproxy's ca-file is the placeholder
    that trusts nothing, and pvs-bridge-pin.timer looks for a certificate to pin. Its
    service (sandboxed: ProtectSystem=strict) runs on this guest's systemd and finds none."""
    tls = "/etc/haproxy/pvs-bridge"
    with host.sudo():
        assert host.service("pvs-bridge-pin.timer").is_running
        assert host.service("pvs-bridge-pin.timer").is_enabled
        pinned = host.file(f"{tls}/pvs-pinned.pem").content_string
        assert pinned == host.file(f"{tls}/pvs-placeholder.pem").content_string
        assert not host.file("/etc/ansible/facts.d/bridge_proxy_pin.fact").exists
        run = host.run("systemctl start pvs-bridge-pin.service")
        assert run.rc == 0, run.stdout + run.stderr
        result = host.run("systemctl show -p Result --value pvs-bridge-pin.service")
        assert result.stdout.strip() == "success"
        assert host.file(f"{tls}/pvs-pinned.pem").content_string == pinned


def test_wifi_config_is_root_only_with_a_hashed_psk(host):
    with host.sudo():
        candidates = [host.file(WPA_CONF), host.file(f"{NM_DIR}/pvs-bridge-wifi.nmconnection")]
        written = [f for f in candidates if f.exists]
        assert written, "no WiFi configuration written"
        for f in written:
            assert f.user == "root"
            assert f.mode == 0o600
            assert re.search(r"^\s*psk=[0-9a-f]{64}$", f.content_string, re.M)


def test_pvs_link_config_refuses_route_and_dns(host):
    """Whatever the stack: dhcpcd's eth0 block, or the NetworkManager connection that is
    active on eth0 (our keyfile on bookworm, netplan's generated one on trixie)."""
    with host.sudo():
        if host.service("NetworkManager").is_running:
            name = host.check_output(f"nmcli -g GENERAL.CONNECTION device show {PVS_LINK}").strip()
            props = host.check_output(
                f"nmcli -g ipv4.never-default,ipv4.ignore-auto-dns connection show '{name}'"
            ).split()
            assert props == ["yes", "yes"], (name, props)
            for path in (f"{NM_DIR}/pvs-link.nmconnection", "/etc/netplan/99-pvs-bridge.yaml"):
                f = host.file(path)
                if f.exists:
                    assert f.user == "root" and f.mode == 0o600, path
        else:
            text = host.file("/etc/dhcpcd.conf").content_string
            block = text.split(f"interface {PVS_LINK}", 1)[1]
            assert "nogateway" in block
            assert "nooption domain_name_servers, domain_name, domain_search" in block
            # Global options come before the first interface block.
            assert text.index("option rapid_commit") < text.index("interface ")


def test_both_link_roles_wrote_for_the_one_stack_of_this_release(host):
    """bridge_network decides the stack once; bridge_pvs_link (its recorded fact, its file)
    and bridge_wifi (wpa_supplicant.conf or a NetworkManager keyfile) both follow it: a role
    that decided for itself, or wrongly, leaves the other stack's file or the wrong fact."""
    from bridge_cli import settings

    stack = settings.RELEASE_NETWORK_STACK[host.system_info.codename]
    with host.sudo():
        fact = json.loads(host.file("/etc/ansible/facts.d/bridge_pvs_link.fact").content_string)
        wpa = host.file(WPA_CONF)
        ours = {
            "wpa_supplicant": wpa.exists and "Ansible managed" in wpa.content_string,
            "wifi keyfile": host.file(f"{NM_DIR}/pvs-bridge-wifi.nmconnection").exists,
            "pvs-link keyfile": host.file(f"{NM_DIR}/pvs-link.nmconnection").exists,
            "netplan file": host.file("/etc/netplan/99-pvs-bridge.yaml").exists,
            "dhcpcd eth0": f"interface {PVS_LINK}" in host.file("/etc/dhcpcd.conf").content_string
            if host.file("/etc/dhcpcd.conf").exists
            else False,
        }
    assert fact["network_stack"] == stack
    expected = {
        "dhcpcd": {"wpa_supplicant", "dhcpcd eth0"},
        "networkmanager": {"wifi keyfile", "pvs-link keyfile"},
        "netplan": {"wifi keyfile", "netplan file"},
    }[stack]
    assert {name for name, written in ours.items() if written} == expected, ours


@pytest.mark.parametrize(
    "path",
    [
        "/cgi-bin/dl_cgi?Command=SetCellPurchased",
        "/cgi-bin/dl_cgi?Command=DeviceList&Command=SetCellPurchased",
        "/cgi-bin/dl_cgi?command=setcellpurchased",
        "/cgi-bin/dl_cgi?C%6fmmand=SetCellPurchased",
        "/vars?%73et=/sys/x=1",
    ],
)
def test_guard_refuses_writes_from_the_home_side(path):
    out = home_curl("-i", "--path-as-is", f"http://{LAB.bridge_address}{path}")
    status_line, _, rest = out.partition("\n")
    assert " 403 " in status_line
    assert "x-pvs-bridge-guard: read-only" in rest.lower()
    assert "bridge_proxy_allow_writes: true" in rest


def test_guard_refuses_post_from_the_home_side():
    out = home_curl(
        "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data", "x=1",
        f"http://{LAB.bridge_address}/cgi-bin/dl_cgi?Command=DeviceList",
    )  # fmt: skip
    assert out == "403"


def test_stats_page_and_metrics_from_the_home_side(host):
    page = home_curl(f"http://{LAB.bridge_address}:8080/;csv")
    assert "pvs_http,pvs," in page
    # bridge_proxy leaves /metrics out where haproxy may not make unaligned loads: 32-bit
    # ARM without the kernel's alignment fixup, as the lab's armhf guest (qemu-user).
    facts = json.loads(host.file("/etc/ansible/facts.d/bridge_proxy.fact").content_string)
    assert facts["metrics"] is (host.check_output("dpkg --print-architecture") != "armhf")
    haproxy = "systemctl show -p MainPID -p ExecMainStartTimestamp haproxy"
    before = host.check_output(haproxy)
    metrics = home_curl(f"http://{LAB.bridge_address}:8080/metrics")
    assert host.check_output(haproxy) == before  # served, not crashed and restarted
    if facts["metrics"]:
        assert 'haproxy_frontend_current_sessions{proxy="pvs_http"}' in metrics
        assert "build_info" not in metrics and "version" not in metrics  # no global scope
    else:
        assert "haproxy_frontend_current_sessions" not in metrics
    post = home_curl(
        "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data", "action=maint",
        f"http://{LAB.bridge_address}:8080/",
    )  # fmt: skip
    assert post == "403"
