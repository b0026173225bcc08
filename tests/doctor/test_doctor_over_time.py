"""The doctor over time, against the real simulator behind the role's real haproxy
(loopback): a hung PVS, inverters gone since the last look, a firmware generation change,
every device accounted for, the PVS's flash wear. The doctor's memory is a tmp state dir.
"""

from __future__ import annotations

import os
import stat
import time

import pytest
from doctor_helpers import run

from bridge_cli.doctor import haproxy_stats, history
from bridge_cli.pvs.client import http_request
from harness.testbed import testbed as loopback_bridge

pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/sbin/haproxy"), reason="needs /usr/sbin/haproxy"
)
# No cache: each doctor run must see the simulator's current DeviceList.
NO_CACHE = {"bridge_proxy_cache": False}


def wait_check_status(bed, prefix: str, limit: float = 15.0) -> None:
    """Poll haproxy's stats until its health check of the PVS reports `prefix` (bounded)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        page = http_request(bed.address, 8080, "/;csv", timeout=2.0)
        view = haproxy_stats.backend_view(haproxy_stats.parse_stats_csv(page.body.decode()))
        if view and view.check_status.upper().startswith(prefix):
            return
        time.sleep(0.2)
    raise AssertionError(f"haproxy's check never reported {prefix}")


def test_a_hung_pvs_is_told_apart_from_a_restarting_one(tmp_path):
    with loopback_bridge(haproxy_extra=NO_CACHE) as bed:
        bed.sim.set_fault("hang", seconds=60)
        # The role's health check is an HTTP read: a hung PVS makes it time out (L7TOUT).
        wait_check_status(bed, "L7TOUT", limit=30.0)
        hung = run(bed, timeout=1.0, state_dir=tmp_path).finding("pvs.info")
        bed.sim.set_fault("restarting", seconds=30)
        wait_check_status(bed, "L4CON")
        restarting = run(bed, timeout=1.0, state_dir=tmp_path).finding("pvs.info")
        bed.sim.clear_fault()
    assert hung.status == "fail" and "the PVS is hung" in hung.summary, hung
    assert "L7TOUT" in hung.detail
    assert restarting.status == "fail" and "hung" not in restarting.summary, restarting
    assert "restarting" in restarting.summary


def test_inverters_missing_since_the_last_look_are_named(tmp_path):
    with loopback_bridge(haproxy_extra=NO_CACHE) as bed:
        first = run(bed, state_dir=tmp_path).finding("pvs.inverter_count")
        serials = [bed.sim.model.inverter_serial(i) for i in range(12)]
        bed.sim.model.inverters = 10
        fewer = run(bed, state_dir=tmp_path).finding("pvs.inverter_count")
        bed.sim.model.reboot()  # the nightly restart: inverters come back one by one
        after_reboot = run(bed, state_dir=tmp_path).finding("pvs.inverter_count")
        bed.sim.model.inverters = 12
        back = run(bed, state_dir=tmp_path).finding("pvs.inverter_count")
    assert first.status == "info" and "12 inverters" in first.summary
    assert fewer.status == "warn" and "2 inverter(s) missing: 10 now, 12 on" in fewer.summary
    assert fewer.detail == f"missing: {serials[10]}, {serials[11]}"
    assert after_reboot.status == "warn" and "10 of 12 inverters back since the PVS restarted" in (
        after_reboot.summary
    )
    assert back.status == "pass" and "12 inverters, as many as" in back.summary


def test_a_firmware_generation_change_since_the_first_look(tmp_path):
    with loopback_bridge() as bed:
        legacy_build = bed.sim.model.build
        first = run(bed, state_dir=tmp_path).finding("pvs.firmware_change")
        again = run(bed, state_dir=tmp_path).finding("pvs.firmware_change")
    with loopback_bridge(firmware=61845, state_dir=tmp_path / "sim") as bed:
        changed = run(bed, state_dir=tmp_path).finding("pvs.firmware_change")
        later = run(bed, state_dir=tmp_path).finding("pvs.firmware_change")
    assert first.status == "info" and f"legacy firmware, build {legacy_build}" in first.summary
    assert again.status == "pass"
    assert changed.status == "warn", changed
    assert f"legacy build {legacy_build}" in changed.summary and "2025 build 61845" in (
        changed.summary
    )
    assert "HTTPS" in changed.hint
    assert later.status == "info" and "changed from legacy" in later.summary


def test_every_device_of_a_storage_site_is_accounted_for(tmp_path):
    with loopback_bridge(ess=True) as bed:
        expected = len(bed.sim.model.device_list()["devices"])
        f = run(bed, state_dir=tmp_path).finding("pvs.devices")
    assert f.status == "pass", f
    assert f.summary.startswith(f"{expected} devices, all of known types: ")
    for kind in ("1 PVS", "12 Inverter", "Power Meter", "ESS BMS", "Battery"):
        assert kind in f.summary, kind


def test_new_firmware_devices_and_flash_wear_not_reported(tmp_path):
    with loopback_bridge(firmware=61845, state_dir=tmp_path / "sim") as bed:
        d = run(bed, serial=bed.sim.config.serial, state_dir=tmp_path)
    devices, wear = d.finding("pvs.devices"), d.finding("pvs.flashwear")
    assert devices.status == "pass" and "12 inverter" in devices.summary, devices
    # The simulator's firmware does not expose /sys/pvs/flashwear_type_b: not a failure.
    assert wear.status == "info" and "not reported" in wear.summary


def test_the_memory_is_private_and_holds_no_serial(tmp_path):
    state = tmp_path / "doctor"
    with loopback_bridge() as bed:
        run(bed, state_dir=state)
        serial = bed.sim.config.serial
    path = state / history.FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    text = path.read_text()
    assert serial not in text and serial[-5:] not in text
    assert history.pvs_key(serial) in text
