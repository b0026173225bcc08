"""Parsers and judges for what the bridge prints over SSH (canned outputs)."""

from __future__ import annotations

import json

from bridge_cli.doctor import ssh_parsers as sp


def addr_json(eth0_addrs, state="UP"):
    return json.dumps(
        [
            {"ifname": "lo", "addr_info": [{"family": "inet", "local": "127.0.0.1"}]},
            {"ifname": "eth0", "operstate": state, "addr_info": eth0_addrs},
            {
                "ifname": "wlan0",
                "addr_info": [{"family": "inet", "local": "192.168.1.50", "prefixlen": 24}],
            },
        ]
    )


def test_script_roundtrip():
    script = sp.build_script({"a": "echo hi", "b": "false"})
    fake_output = "@@doctor@@ begin a\nhi\n@@doctor@@ rc 0\n@@doctor@@ begin b\n@@doctor@@ rc 1\n"
    assert "echo hi" in script
    assert sp.split_script_output(fake_output) == {"a": (0, "hi"), "b": (1, "")}


def test_lease_in_pvs_subnet_passes():
    f = sp.judge_lease(
        addr_json(
            [
                {
                    "family": "inet",
                    "local": "172.27.153.14",
                    "prefixlen": 24,
                    "dynamic": True,
                    "valid_life_time": 3500,
                }
            ]
        )
    )
    assert f.status == "pass" and "172.27.153.14" in f.summary and "3500" in f.summary


def test_no_lease_fails_naming_dhcp():
    f = sp.judge_lease(addr_json([], state="UP"))
    assert f.status == "fail" and "no DHCP lease" in f.summary


def test_link_local_only_fails():
    f = sp.judge_lease(addr_json([{"family": "inet", "local": "169.254.3.4", "prefixlen": 16}]))
    assert f.status == "fail" and "link-local" in f.summary


def test_wrong_subnet_fails():
    f = sp.judge_lease(addr_json([{"family": "inet", "local": "192.168.7.9", "prefixlen": 24}]))
    assert f.status == "fail" and "another network" in f.summary


def test_missing_interface():
    f = sp.judge_lease(addr_json([]), "eth1")
    assert f.status == "fail" and "does not exist" in f.summary


ROUTES_OK = json.dumps(
    [
        {"dst": "default", "gateway": "192.168.1.1", "dev": "wlan0", "metric": 600},
        {"dst": "172.27.153.0/24", "dev": "eth0"},
    ]
)
ROUTES_BAD = json.dumps(
    [
        {"dst": "default", "gateway": "172.27.153.1", "dev": "eth0", "metric": 100},
        {"dst": "default", "gateway": "192.168.1.1", "dev": "wlan0", "metric": 600},
    ]
)


def test_default_route():
    assert sp.judge_default_route(ROUTES_OK).status == "pass"
    bad = sp.judge_default_route(ROUTES_BAD)
    assert bad.status == "fail" and "via eth0" in bad.summary
    lower_prio = json.dumps(
        [
            {"dst": "default", "gateway": "172.27.153.1", "dev": "eth0", "metric": 1000},
            {"dst": "default", "gateway": "192.168.1.1", "dev": "wlan0", "metric": 600},
        ]
    )
    assert sp.judge_default_route(lower_prio).status == "warn"
    assert sp.judge_default_route("[]").status == "warn"


def test_resolv():
    assert sp.judge_resolv("nameserver 192.168.1.1\n").status == "pass"
    f = sp.judge_resolv("# x\nnameserver 172.27.153.1\nnameserver 1.1.1.1\n")
    assert f.status == "fail" and "172.27.153.1" in f.summary
    assert sp.judge_resolv("").status == "warn"


def test_forward_haproxy_clock():
    assert sp.judge_forward("0\n").status == "pass"
    assert sp.judge_forward("1\n").status == "warn"
    assert sp.judge_haproxy_active(0, "active\n").status == "pass"
    f = sp.judge_haproxy_active(3, "inactive\n")
    assert f.status == "fail" and "inactive" in f.summary
    assert sp.judge_clock(0, "Timezone=UTC\nNTPSynchronized=yes\n").status == "pass"
    assert sp.judge_clock(0, "Timezone=UTC\nNTPSynchronized=no\n").status == "warn"
    assert sp.judge_clock(127, "sh: timedatectl: not found").status == "info"


def test_disk_and_memory():
    head = "Filesystem 1024-blocks Used Available Capacity Mounted on\n"
    df = head + "/dev/root 1000000 500000 500000 50% /\n"
    assert sp.parse_df(df) == (1000000, 500000, 500000)
    assert sp.judge_disk(df).status == "pass"
    full = head + "/dev/root 1000000 980000 20000 98% /\n"
    assert sp.judge_disk(full).status == "fail"
    mem = "MemTotal:        3900000 kB\nMemFree: 100 kB\nMemAvailable:    2000000 kB\n"
    assert sp.judge_memory(mem).status == "pass"
    low = "MemTotal:        400000 kB\nMemAvailable:    20000 kB\n"
    assert sp.judge_memory(low).status == "fail"


def test_throttled():
    assert sp.judge_throttled("absent\n").status == "skip"
    assert sp.judge_throttled("throttled=0x0\n").status == "pass"
    now = sp.judge_throttled("throttled=0x50005\n")
    assert now.status == "fail" and "under-voltage" in now.summary
    past = sp.judge_throttled("throttled=0x50000\n")
    assert past.status == "warn" and "under-voltage has occurred" in past.summary


WIRELESS = """Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE
 face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22
 wlan0: 0000   52.  -58.  -256        0      0      0      0     12        0
"""


def test_wireless():
    assert sp.parse_wireless(WIRELESS) == {"wlan0": {"quality": 52.0, "level": -58.0}}
    assert sp.judge_wireless(WIRELESS).status == "pass"
    weak = WIRELESS.replace("-58.", "-83.")
    assert sp.judge_wireless(weak).status == "fail"
    assert sp.judge_wireless(WIRELESS.splitlines()[0] + "\n").status == "skip"


FACTS = (
    '== bridge_pvs_link\n{"interface": "eth1", "network_stack": "dhcpcd",'
    ' "subnet": "192.168.254.0/24"}\n'
    '== bridge_proxy\n{"http_port": 80, "https_mode": "terminate"}\n'
    "== broken\n{not json\n"
)


def test_the_roles_facts_are_read_and_a_broken_one_left_out():
    facts = sp.parse_facts(FACTS)
    assert set(facts) == {"bridge_pvs_link", "bridge_proxy"}
    iface, subnet = sp.pvs_link(facts)
    assert (iface, str(subnet)) == ("eth1", "192.168.254.0/24")
    assert sp.pvs_link({}) == (None, None)


def test_lease_and_resolv_are_judged_in_the_recorded_subnet():
    """A PVS whose LAN1 serves another subnet (as recorded by bridge_pvs_link): its lease
    passes and its DNS server is caught, where the /24 default would judge both wrongly."""
    _, subnet = sp.pvs_link(sp.parse_facts(FACTS))
    lease = addr_json([{"family": "inet", "local": "192.168.254.20", "prefixlen": 24}])
    assert sp.judge_lease(lease).status == "fail"
    assert sp.judge_lease(lease, "eth0", subnet).status == "pass"
    resolv = "nameserver 192.168.254.1\n"
    assert sp.judge_resolv(resolv).status == "pass"
    assert sp.judge_resolv(resolv, subnet).status == "fail"
