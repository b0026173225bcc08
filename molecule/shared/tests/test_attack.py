"""The attack suite (bridge_cli.proxy_attacks) against this guest's own haproxy.

Bullseye ships haproxy 2.2, Bookworm 2.6 and Trixie 3.0; their HTTP parsers differ, so the
same table of raw requests runs against each converged lab bridge, from the home LAN's
namespace. Ground truth is the simulator's counters, read through the bridge itself
(`/_sim/counters` is a plain read the guard lets through) before and after every request.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bridge_cli import proxy_attacks
from bridge_cli.lab import Lab, netns

LAB = Lab(os.environ.get("BRIDGE_LAB_NAME", "mol-bookworm"))


def test_attack_table_against_this_guests_haproxy(host):
    version = host.check_output("/usr/sbin/haproxy -v").splitlines()[0]
    counters_url = f"http://{LAB.bridge_address}/_sim/counters"
    argv = [
        sys.executable,
        "-m",
        "bridge_cli.proxy_attacks",
        LAB.bridge_address,
        "80",
        counters_url,
    ]
    answer = subprocess.run(
        netns.exec_argv(LAB.home_ns, argv), capture_output=True, check=True, timeout=900
    )
    results = json.loads(answer.stdout)
    assert len(results) == len(proxy_attacks.CASES) >= 80
    failed = [f"{r['name']}: {r['why']} (answers {r['statuses']})" for r in results if not r["ok"]]
    assert failed == [], version
