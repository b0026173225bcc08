"""Bad settings stop the play before any change, with a message naming the variable.

Runs the real ansible-playbook on localhost (connection local), but only the roles'
assert tasks: nothing on this machine is changed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from roles_playbook import run_local_play

from bridge_cli.provision import PROJECT_ROOT

GOOD = {
    "bridge_base_hostname": "pvs-bridge",
    "bridge_base_timezone": "Europe/Amsterdam",
    "bridge_wifi_ssid": "Home WiFi",
    "bridge_wifi_psk": "correct horse battery",
    "bridge_wifi_country": "NL",
    "bridge_proxy_pvs_address": "172.27.153.1",
    "bridge_proxy_pvs_port": 80,
}

ROLES = [
    "bridge_base",
    "bridge_network",
    "bridge_pvs_link",
    "bridge_proxy",
    "bridge_mdns",
    "bridge_wifi",
]


def site_checks() -> list[dict]:
    """site.yml's own pre-tasks that check every role's settings (argument specs + asserts)."""
    play = yaml.safe_load((PROJECT_ROOT / "playbooks" / "site.yml").read_text())[0]
    return [
        task
        for task in play.get("pre_tasks", [])
        if task.get("ansible.builtin.include_role", {}).get("tasks_from") == "assert"
    ]


def test_site_checks_every_role_before_any_role_runs():
    checks = site_checks()
    assert len(checks) == 1 and checks[0]["loop"] == ROLES
    # Entry point "assert": the argument specs (types, choices) are validated there too.
    for role in ROLES:
        specs = (PROJECT_ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text()
        entry_points = yaml.safe_load(specs)["argument_specs"]
        assert entry_points["assert"] == entry_points["main"], role


# The real pre-tasks of playbooks/site.yml, on localhost: nothing on this machine changes.
PLAYBOOK = yaml.safe_dump(
    [
        {
            "name": "Check the settings of every role",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": site_checks(),
        }
    ],
    sort_keys=False,
)


# The pre-tasks of bridge_pvs_link and bridge_wifi pull in their dependency bridge_network,
# which detects the stack once per host. This machine has none (no systemd, no NetworkManager
# or dhcpcd), so the stack is given as bridge_network records it, as if already detected;
# the detection itself is tested on the lab's three releases (tests/lab/test_molecule.py).
DETECTED = {
    "bridge_network_current": {
        "stack": "dhcpcd",
        "requested": "auto",
        "networkmanager": False,
        "netplan_renderer": "",
        "usable": "",
    }
}


def run_asserts(tmp_path: Path, variables: dict) -> subprocess.CompletedProcess:
    playbook = tmp_path / "check.yml"
    playbook.write_text(PLAYBOOK)
    return run_local_play(tmp_path, playbook, variables=DETECTED | variables)


def test_good_settings_pass(tmp_path):
    result = run_asserts(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout[-3000:]


BAD = [
    ("bridge_proxy_pvs_address", "172.27.153", "is not an IPv4 address"),
    ("bridge_proxy_pvs_port", 70000, "is not a port number"),
    ("bridge_proxy_http_port", 0, "is not a port number"),
    ("bridge_wifi_country", "XX", "is not an ISO 3166"),
    ("bridge_base_hostname", "-bad_host-", "is not a valid host name"),
    ("bridge_base_timezone", "Mars/Olympus", "is not in the tz database"),
    ("bridge_wifi_ssid", "", "must be 1-32 bytes"),
    ("bridge_wifi_psk", "short", "must be 8-63 printable ASCII"),
    ("bridge_pvs_link_interface", "eth0; rm", "is not a network interface name"),
    ("bridge_pvs_link_network_stack", "systemd-networkd", "is not allowed; use auto, dhcpcd"),
    ("bridge_network_stack", "wicd", "must be one of"),
    ("bridge_proxy_stats_port", 80, "must differ"),
    ("bridge_proxy_read_commands", ["DeviceList|.*"], "letters, digits and _ only"),
    ("bridge_pvs_link_subnet", "999.27.153.0/24", "is not an IPv4 network"),
    ("bridge_proxy_cache_ttl", 0, "must be a whole number >= 1"),
    ("bridge_proxy_timeout_client", "3 minutes", "is not a haproxy time"),
    ("bridge_proxy_client_networks", ["192.168.1.0/33"], "is not an IPv4 network"),
    ("bridge_proxy_allowed_sets", ["/ess/x=1;set=/y"], "is not a variable path"),
    ("bridge_proxy_allowed_sets", ["ess/config"], "is not a variable path"),
    ("bridge_proxy_https_mode", "offload", "terminate"),
    ("bridge_proxy_tls_certificate", "/etc/hostname", "give both files, or neither"),
    ("bridge_proxy_client_networks", ["192.168.1.1/24"], "is not an IPv4 network"),
    ("bridge_proxy_client_maxconn", 0, "must be a whole number >= 1"),
    ("bridge_proxy_health_check_path", "/x?Command=Set", "absolute paths"),
    ("bridge_proxy_global_maxconn", 100, "must be at least"),
    ("bridge_base_watchdog_sec", 0, "whole seconds from 1 to 3600"),
    ("bridge_base_journal_max_use", "lots", "a size such as 16M"),
    # Types and choices from meta/argument_specs.yml, checked in the same pre-task pass.
    ("bridge_proxy_cache", "maybe", "bridge_proxy_cache"),
    ("bridge_base_upgrade", "sometimes", "bridge_base_upgrade"),
    ("bridge_wifi_network_stack", "wicd", "is not allowed; use auto, dhcpcd"),
    ("bridge_base_journal_storage", "disk", "must be one of"),
    ("bridge_proxy_compression_types", {"gzip": True}, "bridge_proxy_compression_types"),
    ("bridge_mdns_pvs_serial", "ZT2143; rm -rf", "allowed: letters A-Z and digits 0-9"),
    ("bridge_mdns_pvs_model", "PVS7", "must be one of"),
    ("bridge_mdns_deny_interfaces", ["eth0 wlan0"], "is not a network interface name"),
    ("bridge_mdns_allow_interfaces", ["eth0"], "needs an interface that is not in"),
]


@pytest.mark.parametrize(("name", "value", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_setting_stops_the_play_naming_the_variable(tmp_path, name, value, expected):
    result = run_asserts(tmp_path, GOOD | {name: value})
    assert result.returncode != 0
    assert name in result.stdout
    assert expected in result.stdout


@pytest.mark.parametrize("which", ["certificate", "key", "other key"])
def test_a_tls_file_that_is_not_one_stops_the_play_in_one_line(tmp_path, which):
    from bridge_cli.bridge_tls import make_self_signed

    good, other = tmp_path / "good.pem", tmp_path / "other.pem"
    make_self_signed(good, "pvs-bridge", ["127.0.0.1"])
    make_self_signed(other, "pvs-bridge", ["127.0.0.1"])
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    cert, key = {"certificate": (junk, good), "key": (good, junk), "other key": (good, other)}[
        which
    ]
    # A PEM file holding both certificate and key serves as either (the key is read from it).
    if which == "other key":
        expected = "is not the key of"
    elif which == "key":
        expected = "bridge_proxy_tls_key: " + str(junk) + " is not an unencrypted PEM private key"
    else:
        expected = "bridge_proxy_tls_certificate: " + str(junk) + " is not a PEM certificate"
    variables = GOOD | {"bridge_proxy_tls_certificate": str(cert), "bridge_proxy_tls_key": str(key)}
    result = run_asserts(tmp_path, variables)
    assert result.returncode != 0
    assert expected in result.stdout


def test_the_passphrase_never_appears_in_the_output(tmp_path):
    secret = "hunter2-but-longer"
    result = run_asserts(tmp_path, GOOD | {"bridge_wifi_psk": secret, "bridge_wifi_ssid": ""})
    assert result.returncode != 0
    assert secret not in result.stdout + result.stderr


def test_a_host_without_systemd_or_debian_is_refused(tmp_path):
    """This machine (no systemd as PID 1) is such a host: the real host check refuses it."""
    facts = subprocess.run(["ps", "-p", "1", "-o", "comm="], capture_output=True, text=True)
    if facts.stdout.strip() == "systemd":
        pytest.skip("this machine runs systemd as PID 1")
    playbook = tmp_path / "host.yml"
    playbook.write_text(
        "- name: Host check\n  hosts: localhost\n  connection: local\n  gather_facts: true\n"
        "  tasks:\n    - name: Check\n      ansible.builtin.include_role:\n"
        "        name: pvs_bridge.bridge.bridge_base\n        tasks_from: host.yml\n"
    )
    result = run_local_play(tmp_path, playbook)
    assert result.returncode != 0
    assert "supports Debian-based hosts with systemd" in result.stdout


def test_stack_variables_that_disagree_stop_the_play(tmp_path):
    variables = GOOD | {"bridge_network_stack": "netplan", "bridge_wifi_network_stack": "dhcpcd"}
    result = run_asserts(tmp_path, variables)
    assert result.returncode != 0
    assert (
        "bridge_network_stack: the stack variables disagree (bridge_network_stack: netplan, "
        "bridge_wifi_network_stack: dhcpcd)" in result.stdout
    )


@pytest.mark.parametrize("name", ["bridge_pvs_link_network_stack", "bridge_wifi_network_stack"])
def test_a_deprecated_stack_variable_is_still_read_with_a_warning(tmp_path, name):
    result = run_asserts(tmp_path, GOOD | {name: "auto"})
    assert result.returncode == 0, result.stdout[-3000:]
    output = " ".join((result.stdout + result.stderr).split())
    assert f"[DEPRECATION WARNING]: {name} is deprecated: set bridge_network_stack" in output
    assert "version 0.3.0" in output


def test_no_deprecation_warning_without_the_old_variables(tmp_path):
    result = run_asserts(tmp_path, GOOD | {"bridge_network_stack": "auto"})
    assert result.returncode == 0, result.stdout[-3000:]
    assert "DEPRECATION" not in result.stdout + result.stderr
