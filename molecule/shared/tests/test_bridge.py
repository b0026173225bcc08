"""Behaviour of a provisioned lab bridge, checked from the home side (molecule verify).

HTTP checks run inside the lab's home namespace, where the bridge's users are
(`python -m bridge_cli.lab.httpget`: no curl needed on the machine); checks on the bridge
itself go over SSH (paramiko, through the home-namespace relay).
The lab is named by BRIDGE_LAB_NAME (set by the scenario's molecule.yml).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys

import pytest

from bridge_cli.lab import Lab, netns
from bridge_cli.lab import topology as topo

LAB = Lab(os.environ.get("BRIDGE_LAB_NAME", "mol-bookworm"))
DEVICE_LIST = "/cgi-bin/dl_cgi?Command=DeviceList"


def http_get(ns: str, url: str, *headers: str) -> tuple[int, dict, bytes]:
    """GET from inside a lab namespace (the home LAN, or the PVS side for the reference)."""
    argv = [sys.executable, "-m", "bridge_cli.lab.httpget", url]
    for header in headers:
        argv += ["-H", header]
    out = subprocess.run(netns.exec_argv(ns, argv), capture_output=True, check=True).stdout
    answer = json.loads(out)
    return answer["status"], answer["headers"], base64.b64decode(answer["body_b64"])


@pytest.fixture(scope="module")
def direct_device_list() -> dict:
    """The simulator's own answer, asked inside the PVS namespace (not through the bridge)."""
    return json.loads(http_get(LAB.pvs_ns, f"http://{topo.PVS_ADDRESS}{DEVICE_LIST}")[2])


def test_device_list_through_the_bridge_is_the_simulators(direct_device_list):
    status, _, body = http_get(LAB.home_ns, f"http://{LAB.bridge_address}{DEVICE_LIST}")
    assert status == 200
    data = json.loads(body)
    pvs = [d for d in data["devices"] if d.get("DEVICE_TYPE") == "PVS"]
    expected = [d for d in direct_device_list["devices"] if d.get("DEVICE_TYPE") == "PVS"]
    assert pvs and pvs[0]["SERIAL"] == expected[0]["SERIAL"]
    assert len(data["devices"]) == len(direct_device_list["devices"])


def test_gzip_when_asked():
    url = f"http://{LAB.bridge_address}{DEVICE_LIST}"
    status, headers, body = http_get(LAB.home_ns, url, "Accept-Encoding: gzip")
    assert status == 200
    assert headers.get("content-encoding") == "gzip"
    assert "devices" in json.loads(gzip.decompress(body))


def test_no_gzip_when_not_asked():
    url = f"http://{LAB.bridge_address}{DEVICE_LIST}"
    status, headers, body = http_get(LAB.home_ns, url, "Accept-Encoding: identity")
    assert status == 200
    assert "content-encoding" not in headers
    assert json.loads(body)["devices"]


def test_stats_page_up():
    status, _, body = http_get(LAB.home_ns, f"http://{LAB.bridge_address}:8080/")
    assert status == 200
    assert b"haproxy" in body.lower()


def test_default_route_not_via_eth0(host):
    routes = host.check_output("ip -4 route show default")
    assert "dev eth0" not in routes
    assert "dev wlan0" in routes


def test_pvs_reachable_from_the_bridge_on_eth0(host):
    route = host.check_output(f"ip -4 route get {topo.PVS_ADDRESS}")
    assert "dev eth0" in route
