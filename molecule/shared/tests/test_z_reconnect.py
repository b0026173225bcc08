"""The bridge rejoins the home network by itself (bridge_wifi, docs/reliability.md).

The home side of the lab's link is taken down (as when the home router or access point is
off) until the bridge has lost its address, left down a while longer, and brought up
again; nothing is done on the bridge. The lab's wlan0 is a wired stand-in (a veth), so this
proves the network stack's own recovery (carrier, DHCP, NetworkManager autoconnect or
dhcpcd), not WiFi association. Named to run last: it breaks SSH sessions of earlier tests.
"""

from __future__ import annotations

import os
import subprocess
import time

from bridge_cli.lab import Lab, netns

LAB = Lab(os.environ.get("BRIDGE_LAB_NAME", "mol-bookworm"))
DOWN_FOR = 30  # seconds the home link stays down after the bridge lost its address


def wlan0_address() -> str:
    out = subprocess.run(
        netns.exec_argv(LAB.pi_ns, ["ip", "-4", "-br", "addr", "show", "dev", "wlan0"]),
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return out.split()[2] if len(out.split()) > 2 else ""


def wait_for(condition, limit: float) -> bool:
    """Poll (bounded) until condition() holds; a limit on waiting, not a timed assert."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(1)
    return condition()


def home_link(state: str) -> None:
    subprocess.run(["ip", "-n", LAB.home_ns, "link", "set", "home0", state], check=True)


def bridge_answers() -> bool:
    argv = ["curl", "-s", "-o", "/dev/null", "-m", "5", "-w", "%{http_code}",
            f"http://{LAB.bridge_address}/cgi-bin/dl_cgi?Command=DeviceList"]  # fmt: skip
    result = subprocess.run(netns.exec_argv(LAB.home_ns, argv), capture_output=True, text=True)
    return result.stdout == "200"


def test_the_bridge_rejoins_the_home_network_by_itself():
    assert bridge_answers()
    home_link("down")
    try:
        assert wait_for(lambda: wlan0_address() == "", 120), "wlan0 kept its address"
        time.sleep(DOWN_FOR)
        assert not bridge_answers()
    finally:
        home_link("up")
    assert wait_for(bridge_answers, 180), "the bridge did not come back by itself"
    assert wlan0_address().startswith(LAB.bridge_address + "/")
