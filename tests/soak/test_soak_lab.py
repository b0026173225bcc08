"""One short real event of the simulated day, end to end (`make test` keeps it lean: the
whole day is `make soak`): a lab bridge provisioned with the real playbook, the clients
in the home namespace, a PVS reboot with inverters returning one by one, RELIABILITY.md.

Structural and product facts, no timed asserts: the bridge served again by itself,
haproxy was not restarted, one request at a time reached the PVS, no client error
outside the event's window.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bridge_cli.lab import Lab

pytestmark = [pytest.mark.lab, pytest.mark.slow]
NAME = "pytest-soak"


@pytest.fixture(scope="module")
def soak(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("soak")
    argv = [
        sys.executable, "-m", "bridge_cli", "lab", "soak", "--quick", "--only", "pvs_reboot",
        "--day-minutes", "1", "--lab-name", NAME,
        "--output", str(tmp / "RELIABILITY.md"), "--json", str(tmp / "soak.json"),
    ]  # fmt: skip
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    finally:
        Lab(NAME).down()
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((tmp / "soak.json").read_text()), (tmp / "RELIABILITY.md").read_text()


def test_the_bridge_came_back_by_itself(soak):
    results, _ = soak
    (event,) = results["timeline"]
    assert event["key"] == "pvs_reboot" and not event["needed_hand"]
    assert event["served_again_after"] is not None
    assert event["haproxy_restarts"] == 0


def test_no_client_errors_outside_the_window(soak):
    results, _ = soak
    assert results["summary"]["outside_total"] == 0
    assert results["summary"]["day"]["legacy"]["requests"] > 0
    # the reboot really happened: the simulated PVS refused while it was down
    inside = results["summary"]["events"][0]["inside"]
    assert inside["legacy"]["requests"] > 0


def test_one_request_at_a_time_at_the_pvs(soak):
    results, _ = soak
    assert all(p in (0, 1) for p in [*results["calm_peaks"], results["timeline"][0]["peak"]])


def test_report_and_disk_figures(soak):
    results, text = soak
    assert "| Client errors outside the event windows | 0 | 0 | met |" in text
    assert "Nightly PVS reboot" in text and "## Writes to the SD card" in text
    disk = results["disk"]
    assert disk["upper_end"] > 0 and disk["written"]["count"] >= 0  # journal in RAM: maybe 0
    assert disk["processes"]["seconds"] > 0 and disk["processes"]["bytes"] >= 0
