"""What the soak's simulated day needs of the simulator: a firmware update at run time,
inverters that come back one by one after a reboot, a DeviceList that alone is slow, and
a site clock that passes a day in minutes."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from cryptography import x509
from simhttp import get_json, request
from test_sim_faults_counters import refused, wait_for

from bridge_cli import bridge_tls
from bridge_cli.errors import BridgeInputError
from bridge_cli.simulator.commands import simulate, site_clock
from bridge_cli.simulator.model import LEGACY_BUILD

DL = "/cgi-bin/dl_cgi?Command=DeviceList"


def _inverters(url: str) -> int:
    status, data = get_json(url, DL)
    assert status == 200
    return sum(d["DEVICE_TYPE"] == "Inverter" for d in data["devices"])


def test_firmware_update_at_run_time_opens_the_2025_api(make_sim):
    sim = make_sim(firmware="legacy")
    assert sim.https_url is None and _inverters(sim.http_url) == 4
    status, data = get_json(sim.http_url, "/_sim/firmware?build=61846&seconds=0.5", method="POST")
    assert status == 200 and data["build"] == 61846 and data["fault"]["mode"] == "restarting"
    assert refused(sim.http_url)  # offline while it updates
    wait_for(lambda: sim.counters()["fault"]["mode"] == "none")
    assert sim.model.new_firmware and sim.counters()["boots"] == 2
    # the 2025 firmware: HTTPS answers, the old API is locked
    assert request(sim.http_url, DL)[0] == 403
    status, data = get_json(sim.https_url, "/vars?name=/sys/info/serialnum")
    assert status == 200 and data["values"][0]["value"] == sim.model.serial
    _, info = get_json(sim.http_url, "/cgi-bin/dl_cgi/supervisor/info")
    assert info["supervisor"]["BUILD"] == 61846
    # and back ('legacy'), keeping the HTTP port
    port = sim.ports["http"]
    sim.set_firmware("legacy", seconds=0.2)
    wait_for(lambda: sim.counters()["fault"]["mode"] == "none")
    assert sim.model.build == LEGACY_BUILD and sim.ports["http"] == port
    assert _inverters(sim.http_url) == 4


def test_firmware_control_rejects_bad_input(legacy):
    status, data = get_json(legacy.http_url, "/_sim/firmware?build=new", method="POST")
    assert status == 400 and "build" in data["error"] and "legacy" in data["error"]
    assert legacy.counters()["boots"] == 1 and not refused(legacy.http_url)
    path = "/_sim/firmware?build=61846&new_certificate=yes"
    status, data = get_json(legacy.http_url, path, method="POST")
    assert status == 400 and "new_certificate" in data["error"] and "1 or 0" in data["error"]
    assert legacy.counters()["boots"] == 1


def test_a_replaced_pvs_presents_a_new_certificate_the_cached_one_stays(make_sim, tmp_path):
    """new_certificate=1 (a replaced or reset PVS, what a bridge's pin must refuse): another
    certificate for the same serial, made in memory; the cache other simulators share is
    left as it was."""
    sim = make_sim(firmware="61846", state_dir=tmp_path)
    port = int(sim.https_url.rsplit(":", 1)[1])
    first = bridge_tls.presented_certificate("127.0.0.1", port)
    cached = sorted(p.read_bytes() for p in tmp_path.glob("pvs-*"))
    path = "/_sim/firmware?build=61846&seconds=0.2&new_certificate=1"
    status, data = get_json(sim.http_url, path, method="POST")
    assert status == 200 and data["new_certificate"] is True
    wait_for(lambda: sim.counters()["fault"]["mode"] == "none")
    second = bridge_tls.presented_certificate("127.0.0.1", port)
    assert second != first
    assert sorted(p.read_bytes() for p in tmp_path.glob("pvs-*")) == cached
    assert x509.load_pem_x509_certificate(second.encode()).subject == (
        x509.load_pem_x509_certificate(first.encode()).subject
    )


def test_inverters_return_one_by_one_after_a_reboot(make_sim):
    sim = make_sim(inverter_return=0.3)
    assert _inverters(sim.http_url) == 4  # up for a day: all there
    sim.set_fault("restarting", seconds=0.2)
    wait_for(lambda: sim.counters()["fault"]["mode"] == "none")
    seen = [_inverters(sim.http_url)]
    while seen[-1] < 4:
        wait_for(lambda: _inverters(sim.http_url) != seen[-1])
        seen.append(_inverters(sim.http_url))
    assert seen[0] < 4 and seen == sorted(seen)
    assert len(seen) > 2  # several steps, not all at once


def test_without_return_interval_all_inverters_come_back_at_once(make_sim):
    sim = make_sim()
    sim.set_fault("restarting", seconds=0.2)
    wait_for(lambda: sim.counters()["fault"]["mode"] == "none")
    assert _inverters(sim.http_url) == 4


def test_slow_scan_delays_only_devicelist(legacy):
    legacy.set_fault("slow_scan", seconds=30)
    assert request(legacy.http_url, "/cgi-bin/dl_cgi?Command=Get_Comm", timeout=5)[0] == 200
    with pytest.raises(TimeoutError):
        request(legacy.http_url, DL, timeout=0.5)
    legacy.clear_fault()
    assert request(legacy.http_url, DL)[0] == 200


def test_site_clock_starts_at_the_given_time_and_runs_faster():
    clock = site_clock(600.0, "06:00")
    first = clock()
    local = datetime.fromtimestamp(first, ZoneInfo("America/Los_Angeles"))
    assert (local.hour, local.minute) == (6, 0)
    time.sleep(0.05)
    assert clock() - first >= 600 * 0.05  # 50 ms real are at least 30 s of the site's day
    assert site_clock(1.0, None) is time.time


@pytest.mark.parametrize(
    ("option", "value"),
    [("--day-start", "25:00"), ("--day-scale", "0.5"), ("--inverter-return", "-1")],
)
def test_day_options_reject_bad_input(option, value):
    """One line naming the option (the CLI's error handler turns it into exit 2)."""
    result = CliRunner().invoke(simulate, ["--port", "0", option, value])
    assert isinstance(result.exception, BridgeInputError)
    assert str(result.exception).startswith(option.lstrip("-") + ":")
