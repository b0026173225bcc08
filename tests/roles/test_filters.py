"""The Ansible filters the roles use: same rules and PSK as the CLI, stack detection."""

from __future__ import annotations

import hashlib
import importlib
import sys

import pytest

from bridge_cli import secrets
from bridge_cli.resources import collections_path

# The filters as Ansible loads them: from the collection pvs_bridge.bridge (this checkout).
sys.path.insert(0, str(collections_path()))
filters = importlib.import_module("ansible_collections.pvs_bridge.bridge.plugins.filter.pvs_bridge")


def test_filter_module_exports_the_filters():
    names = set(filters.FilterModule().filters())
    assert {"invalid", "wifi_psk", "wpa_ssid", "nm_ssid", "network_stack"} <= names


def test_wifi_psk_is_the_cli_psk():
    expected = hashlib.pbkdf2_hmac("sha1", b"correct horse", b"Home", 4096, 32).hex()
    assert filters.pvs_bridge_wifi_psk("correct horse", "Home") == expected
    assert expected == secrets.wifi_psk("Home", "correct horse")
    raw = "ab" * 32
    assert filters.pvs_bridge_wifi_psk(raw, "Home") == raw


@pytest.mark.parametrize(
    ("value", "kind", "ok"),
    [
        ("pvs-bridge", "hostname", True),
        ("pvs_bridge", "hostname", False),
        ("US", "country", True),
        ("ZZ", "country", False),
        ("172.27.153.1", "ipv4_address", True),
        ("172.27.153.256", "ipv4_address", False),
        (443, "port", True),
        (65536, "port", False),
        ("eth0", "interface", True),
        ("eth0 up", "interface", False),
        ("", "ssid", False),
        (None, "ssid", False),
    ],
)
def test_invalid_names_the_field(value, kind, ok):
    message = filters.pvs_bridge_invalid(value, kind, "my_var")
    assert (message == "") is ok
    if not ok:
        assert message.startswith("my_var: ")


def test_invalid_never_repeats_a_passphrase():
    message = filters.pvs_bridge_invalid("s\u00e9cret-passphrase", "wifi_passphrase", "psk")
    assert message and "cret-pass" not in message


def test_role_and_card_write_the_same_ssid_lines():
    """One rule: "Bob's WiFi" and friends get the same ssid= on the card and from the role."""
    from bridge_cli.sdcard import render

    for ssid in ("Bob's WiFi", "Home WiFi", " lead", 'q"uote', "caf\u00e9", "a;b", "-h", "#$\\"):
        assert filters.pvs_bridge_wpa_ssid(ssid) == render.wpa_ssid(ssid)
        assert filters.pvs_bridge_nm_ssid(ssid) == render.nm_ssid_bytes(ssid)


def test_ssid_encodings():
    assert filters.pvs_bridge_wpa_ssid("Home WiFi") == '"Home WiFi"'
    assert filters.pvs_bridge_wpa_ssid('a"b') == b'"'.join([b"a", b"b"]).hex()
    assert filters.pvs_bridge_nm_ssid("Home WiFi") == "72;111;109;101;32;87;105;70;105;"
    assert filters.pvs_bridge_nm_ssid("a;b") == "97;59;98;"
    # A keyfile drops a value's leading and trailing spaces: such an SSID goes as bytes.
    assert filters.pvs_bridge_nm_ssid(" Home ") == "32;72;111;109;101;32;"


def svc(state="running", status="enabled"):
    return {"state": state, "status": status}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"services": {"dhcpcd.service": svc()}}, "dhcpcd"),
        ({"services": {"NetworkManager.service": svc()}}, "networkmanager"),
        (
            {"services": {"NetworkManager.service": svc()}, "netplan_binary": True,
             "netplan_configs": 1},
            "netplan",
        ),
        # netplan installed but not used: NetworkManager's own keyfiles.
        (
            {"services": {"NetworkManager.service": svc()}, "netplan_binary": True,
             "netplan_configs": 0},
            "networkmanager",
        ),
        ({"services": {"dhcpcd.service": svc("stopped", "disabled")}}, ""),
        ({"services": {}}, ""),
    ],
)  # fmt: skip
def test_network_stack_detection(facts, expected):
    assert filters.pvs_bridge_network_stack(facts) == expected


def test_network_stack_override_wins():
    facts = {"services": {"NetworkManager.service": svc()}}
    assert filters.pvs_bridge_network_stack(facts, "dhcpcd") == "dhcpcd"


def host(services: dict, netplan_binary=False, netplan_configs=0) -> dict:
    return {
        "services": services,
        "netplan_binary": netplan_binary,
        "netplan_configs": netplan_configs,
    }


NM_ONLY = host({"NetworkManager.service": svc()})
NETPLAN_NM = host({"NetworkManager.service": svc()}, True, 1)
NETPLAN_NETWORKD = host({"systemd-networkd.service": svc()}, True, 1)
DHCPCD = host({"dhcpcd.service": svc()})


@pytest.mark.parametrize(
    ("facts", "requested", "stack", "nm", "renderer"),
    [
        (DHCPCD, "auto", "dhcpcd", False, ""),
        (NM_ONLY, "auto", "networkmanager", True, ""),
        (NETPLAN_NM, "auto", "netplan", True, "NetworkManager"),
        (NETPLAN_NETWORKD, "auto", "netplan", False, "networkd"),
        # Asked for NetworkManager's own keyfiles on a netplan host: allowed.
        (NETPLAN_NM, "networkmanager", "networkmanager", True, ""),
    ],
)  # fmt: skip
def test_network_facts_record_what_the_roles_need(facts, requested, stack, nm, renderer):
    current = filters.pvs_bridge_network_facts(facts, requested)
    assert current == {
        "stack": stack,
        "requested": requested,
        "networkmanager": nm,
        "netplan_renderer": renderer,
        "usable": "",
    }


@pytest.mark.parametrize(
    ("facts", "requested", "why"),
    [
        (host({}), "auto", "could not detect the network stack"),
        (DHCPCD, "netplan", "netplan, but this host has no /usr/sbin/netplan"),
        (DHCPCD, "networkmanager", "networkmanager, but this host has no NetworkManager"),
        (NM_ONLY, "dhcpcd", "dhcpcd, but this host has no dhcpcd service"),
    ],
)  # fmt: skip
def test_network_facts_say_why_a_stack_is_not_usable(facts, requested, why):
    usable = filters.pvs_bridge_network_facts(facts, requested)["usable"]
    assert usable.startswith("bridge_network_stack: " + why)


def settings_of(network="auto", pvs_link=None, wifi=None) -> dict:
    return {
        "bridge_network_stack": network,
        "bridge_pvs_link_network_stack": pvs_link,
        "bridge_wifi_network_stack": wifi,
    }


@pytest.mark.parametrize(
    ("given", "request_", "conflict"),
    [
        (settings_of(), "auto", ""),
        (settings_of("netplan"), "netplan", ""),
        # The deprecated variables are read when bridge_network_stack is auto.
        (settings_of(pvs_link="dhcpcd"), "dhcpcd", ""),
        (settings_of(wifi="networkmanager"), "networkmanager", ""),
        (settings_of("dhcpcd", "dhcpcd", "auto"), "dhcpcd", ""),
        (settings_of("netplan", "dhcpcd"), "netplan", "the stack variables disagree"),
        (settings_of(pvs_link="dhcpcd", wifi="netplan"), "dhcpcd", "the stack variables disagree"),
        (settings_of(wifi="wicd"), "wicd", "bridge_wifi_network_stack: 'wicd' is not allowed"),
    ],
)  # fmt: skip
def test_one_stack_request_from_the_variables(given, request_, conflict):
    assert filters.pvs_bridge_network_stack_request(given) == request_
    found = filters.pvs_bridge_network_stack_conflict(given)
    assert (conflict in found) if conflict else found == ""


def test_each_deprecated_variable_set_is_named_in_a_deprecation(monkeypatch):
    said = []
    monkeypatch.setattr(
        filters.Display, "deprecated", lambda self, msg, **kw: said.append((msg, kw["version"]))
    )
    filters.pvs_bridge_network_stack_request(settings_of(pvs_link="auto"))
    filters.pvs_bridge_network_stack_request(settings_of("dhcpcd"))
    assert [(m.split(" ")[0], v) for m, v in said] == [("bridge_pvs_link_network_stack", "0.3.0")]
