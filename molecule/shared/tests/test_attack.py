"""The attack suite (harness.proxy_attacks) against this guest's own haproxy.

Bullseye ships haproxy 2.2, Bookworm 2.6 and Trixie 3.0; their HTTP parsers differ, so the
same table of raw requests runs against each converged lab bridge, from the home LAN's
namespace. Ground truth is the simulator's counters, read through the bridge itself
(`/_sim/counters` is a plain read the guard lets through) before and after every request.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

from bridge_cli.lab import Lab, netns
from harness import ROOT, proxy_attacks

LAB = Lab(os.environ.get("BRIDGE_LAB_NAME", "mol-bookworm"))


def test_attack_table_against_this_guests_haproxy(host):
    version = host.check_output("/usr/sbin/haproxy -v").splitlines()[0]
    counters_url = f"http://{LAB.bridge_address}/_sim/counters"
    argv = [
        sys.executable,
        "-m",
        "harness.proxy_attacks",
        LAB.bridge_address,
        "80",
        counters_url,
    ]
    answer = subprocess.run(
        netns.exec_argv(LAB.home_ns, argv), capture_output=True, check=True, timeout=900, cwd=ROOT
    )
    results = json.loads(answer.stdout)
    assert len(results) == len(proxy_attacks.CASES) >= 80
    failed = [f"{r['name']}: {r['why']} (answers {r['statuses']})" for r in results if not r["ok"]]
    assert failed == [], version


def test_the_terminated_443_config_is_valid_for_this_guests_haproxy(host):
    """The lab's PVS is legacy (no HTTPS, nothing pinned: the converged config verifies
    against the placeholder); render a pinned variant with a wider allowlist and let this
    guest's haproxy check it (ssl crt, verify required ca-file, req.body, the set= regex)."""
    from harness.proxy_config import render_haproxy_cfg

    folder = "/tmp/pvs-bridge-tls-check"
    config = render_haproxy_cfg(
        {
            "bridge_proxy_tls_dir": folder,
            "__bridge_proxy_pvs_pinned": True,
            "bridge_proxy_allowed_sets": ["/sys/telemetryws/enable=1", "/ess/config/dcm/mode"],
            "bridge_proxy_stats_socket": "",
            "bridge_proxy_http_port": 18080,
            "bridge_proxy_stats_port": 18081,
            "bridge_proxy_https_port": 18443,
            "bridge_proxy_ws_port": 19002,
        }
    )
    encoded = base64.b64encode(config.encode()).decode()
    script = (
        f"set -e; rm -rf {folder}; mkdir -m 700 {folder}; cd {folder}; "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=t -keyout k.pem -out c.pem 2>/dev/null; cat c.pem k.pem > bridge.pem; "
        f"cp c.pem pvs-pinned.pem; echo {encoded} | base64 -d > haproxy.cfg; "
        "/usr/sbin/haproxy -c -f haproxy.cfg; rm -rf " + folder
    )
    result = host.run(f"sudo sh -c '{script}'")
    assert result.rc == 0, result.stdout + result.stderr
