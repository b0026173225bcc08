"""The PVS-link templates as Ansible renders them (its own template engine and filters),
read back by parsers of their formats, instead of grepping the template source."""

from __future__ import annotations

import configparser
import json

import pytest
import yaml
from roles_playbook import run_local_play

from bridge_cli.provision import PROJECT_ROOT

ROLE = PROJECT_ROOT / "roles" / "bridge_pvs_link"
TEMPLATES = ("dhcpcd.conf", "netplan.yaml", "pvs-link.nmconnection", "sysctl.conf")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("rendered")
    tasks = "\n".join(
        f"    - name: Render {name}\n      ansible.builtin.template:\n"
        f"        src: {ROLE / 'templates' / (name + '.j2')}\n        dest: {out / name}\n"
        "        mode: '0600'"
        for name in TEMPLATES
    )
    playbook = out / "render.yml"
    playbook.write_text(
        "- name: Render the PVS link's templates\n  hosts: localhost\n  connection: local\n"
        f"  gather_facts: false\n  vars_files: [{ROLE / 'defaults' / 'main.yml'}]\n"
        "  vars:\n    ansible_facts: {services: {}}\n"
        # As bridge_network records a Trixie host (netplan over NetworkManager).
        "    bridge_network_current: {stack: netplan, requested: auto, networkmanager: true,"
        " netplan_renderer: NetworkManager, usable: ''}\n"
        "  tasks:\n" + tasks + "\n"
    )
    run = run_local_play(out, playbook)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return {name: (out / name).read_text() for name in TEMPLATES}


def test_dhcpcd_takes_no_gateway_and_no_dns_from_the_pvs(rendered):
    text = rendered["dhcpcd.conf"]
    lines = [x.strip() for x in text.splitlines() if x.strip() and not x.startswith("#")]
    block = lines[lines.index("interface eth0") + 1 :]
    # Only eth0's own options follow its block (dhcpcd reads everything after `interface`
    # as that interface's: global options must come first, lab-notes gotcha 4).
    assert block == ["nogateway", "nooption domain_name_servers, domain_name, domain_search"]


def test_netplan_keeps_routes_and_dns_of_the_pvs_out(rendered):
    eth0 = yaml.safe_load(rendered["netplan.yaml"])["network"]["ethernets"]["eth0"]
    assert eth0["dhcp4"] is True
    assert eth0["dhcp4-overrides"]["use-routes"] is False
    assert eth0["dhcp4-overrides"]["use-dns"] is False
    # Under NetworkManager, netplan's overrides alone leave a route: the keyfile settings too.
    passthrough = eth0["networkmanager"]["passthrough"]
    assert passthrough["ipv4.never-default"] == "true"
    assert passthrough["ipv4.ignore-auto-dns"] == "true"


def test_networkmanager_keyfile_never_defaults_and_ignores_dns(rendered):
    keyfile = configparser.ConfigParser(interpolation=None)
    keyfile.read_string(rendered["pvs-link.nmconnection"])
    assert keyfile["connection"]["interface-name"] == "eth0"
    assert keyfile["ipv4"]["method"] == "auto"
    assert keyfile["ipv4"]["never-default"] == "true"
    assert keyfile["ipv4"]["ignore-auto-dns"] == "true"
    assert json.dumps(dict(keyfile["ipv4"]))  # one section, parsed whole


def test_no_forwarding_in_the_sysctl_file(rendered):
    settings = dict(
        line.replace(" ", "").split("=", 1)
        for line in rendered["sysctl.conf"].splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert settings["net.ipv4.ip_forward"] == "0"
