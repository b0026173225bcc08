"""Failure modes on the way to the PVS, against the real simulator behind a real haproxy.

Each test breaks one thing and checks that the doctor names that cause (not a generic
"connection error"). No latency simulation; loopback only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from doctor_helpers import run

from bridge_cli.doctor import haproxy_stats
from bridge_cli.pvs.client import http_request
from harness.testbed import SilentHost, free_loopback_address, wait_port
from harness.testbed import testbed as loopback_bridge

pytestmark = pytest.mark.skipif(
    not __import__("os").path.exists("/usr/sbin/haproxy"), reason="needs /usr/sbin/haproxy"
)


def statuses(d):
    return {f.id: f.status for f in d.findings}


def test_healthy_legacy_bridge_passes_everywhere(bed):
    d = run(bed)
    st = statuses(d)
    bad = {f.id: f.summary for f in d.findings if f.status in ("warn", "fail")}
    assert not bad
    for cid in (
        "bridge.http",
        "bridge.stats",
        "haproxy.backend",
        "pvs.info",
        "pvs.devicelist",
        "pvs.supervisor",
        "pvs.uptime",
        "pvs.flash",
        "pvs.meters",
        "bridge.gzip",
        "bridge.guard",
    ):
        assert st[cid] == "pass", (cid, d.finding(cid).summary)
    assert st["pvs.login"] == "skip"  # legacy firmware needs no login


def test_healthy_new_firmware_with_serial_passes(new_fw_bed):
    d = run(new_fw_bed, serial=new_fw_bed.sim.config.serial)
    bad = {f.id: f.summary for f in d.findings if f.status in ("warn", "fail")}
    assert not bad
    assert d.finding("pvs.login").status == "pass"
    assert d.finding("pvs.devicelist").status == "info"  # 403 on new firmware is expected
    assert d.finding("pvs.meters").status == "pass"


def test_new_firmware_without_serial_says_it_is_needed(new_fw_bed):
    f = run(new_fw_bed).finding("pvs.login")
    assert f.status == "warn" and "--serial is needed" in f.summary


def test_wrong_serial_login_refused(new_fw_bed):
    real = new_fw_bed.sim.config.serial
    wrong = real[:-5] + ("00000" if not real.endswith("00000") else "11111")
    f = run(new_fw_bed, serial=wrong).finding("pvs.login")
    assert f.status == "fail"
    assert "refused the login" in f.summary and "does not match this PVS" in f.summary
    assert real[-5:] not in f.summary + f.detail  # never print the password


def test_haproxy_down(bed):
    bed.haproxy.stop()
    wait_port(bed.address, 80, want_open=False)
    d = run(bed)
    http, stats = d.finding("bridge.http"), d.finding("bridge.stats")
    assert http.status == "fail" and "haproxy is down" in http.summary
    assert stats.status == "fail" and "haproxy is down" in stats.summary
    assert d.finding("pvs.info").status == "skip"


def _wait_check_status(bed, prefix: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = http_request(bed.address, 8080, "/;csv", timeout=2)
        view = haproxy_stats.backend_view(haproxy_stats.parse_stats_csv(page.body.decode()))
        if view and view.check_status.startswith(prefix):
            return
        time.sleep(0.2)
    raise AssertionError(f"haproxy health check never reached {prefix}")


def _wait_server(bed, status: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = http_request(bed.address, 8080, "/;csv", timeout=2)
        view = haproxy_stats.backend_view(haproxy_stats.parse_stats_csv(page.body.decode()))
        if view and view.server_status == status:
            return
        time.sleep(0.2)
    raise AssertionError(f"haproxy never marked the PVS {status}")


def test_pvs_not_answering_behind_haproxy_503(bed):
    bed.sim.stop()
    _wait_server(bed, "DOWN")
    d = run(bed)
    f = d.finding("pvs.info")
    assert f.status == "fail"
    assert "haproxy's own 503 page" in f.summary or "haproxy's 503 page" in f.summary
    assert "No server is available" in f.detail
    assert d.finding("bridge.http").status == "pass"  # the bridge itself is fine


def test_pvs_unplugged_is_not_called_hung(bed):
    """Connections the PVS never answers (off, cable out): down, not hung, not restarting."""
    port = dict(bed.sim.ports)["http"]
    bed.sim.stop()
    with SilentHost(bed.sim.config.host, ports=(port,)):
        _wait_server(bed, "DOWN")
        _wait_check_status(bed, "L4TOUT")
        d = run(bed)
    backend, info = d.finding("haproxy.backend"), d.finding("pvs.info")
    assert backend.status == "fail" and "does not answer (powered off" in backend.summary
    assert info.status == "fail" and "does not answer connections" in info.summary
    assert "hung" not in backend.summary and "hung" not in info.summary


def test_pvs_restarting_refused_then_small_uptime(bed):
    bed.sim.set_fault("restarting", seconds=4)
    _wait_check_status(bed, "L4CON")
    during = run(bed)
    f = during.finding("pvs.info")
    assert f.status == "fail" and "refuses connections" in f.summary and "restarting" in f.summary
    assert during.finding("haproxy.backend").status in ("fail", "pass")
    # after the reboot: haproxy sees it again, the doctor sees a small dl_uptime
    _wait_server(bed, "UP", timeout=30)
    after = run(bed)
    up = after.finding("pvs.uptime")
    assert up.status == "warn" and "restarted" in up.summary, after.finding("pvs.info")


@pytest.mark.parametrize("mode,status", [("locked403", 403), ("error500", 500)])
def test_dl_cgi_locked_out(mode, status):
    with loopback_bridge(fault=mode) as bed:
        f = run(bed).finding("pvs.info")
    assert f.status == "fail"
    assert f"dl_cgi is locked out (HTTP {status})" in f.summary
    assert "power cycle" in f.hint


def test_truncated_json():
    with loopback_bridge(fault="truncated") as bed:
        f = run(bed).finding("pvs.info")
    assert f.status == "fail" and "truncated" in f.summary
    assert "JSON stops in the middle" in f.summary


def test_devicelist_slower_than_its_timeout():
    with loopback_bridge(fault="slow", fault_seconds=1.5) as bed:
        d = run(bed, timeout=5.0, devicelist_timeout=0.5)
    assert d.finding("pvs.info").status == "pass"  # the cheap read is slow but in time
    f = d.finding("pvs.devicelist")
    assert f.status == "fail"
    assert "DeviceList took longer than 0.5 s (--devicelist-timeout)" in f.summary


def test_bridge_unreachable_no_answer():
    from bridge_cli.doctor.context import DoctorOptions
    from bridge_cli.doctor.diagnose import diagnose

    address = free_loopback_address(seed=7)
    with SilentHost(address):
        d = diagnose(DoctorOptions(host=address, address=address, ssh=False, timeout=1.0))
    f = d.finding("bridge.http")
    assert f.status == "fail" and "does not answer at all" in f.summary
    assert "bridge is off" in f.summary
    assert d.finding("pvs.info").status == "skip"


def test_bridge_unreachable_nothing_listening():
    from bridge_cli.doctor.context import DoctorOptions
    from bridge_cli.doctor.diagnose import diagnose

    address = free_loopback_address(seed=9)
    d = diagnose(DoctorOptions(host=address, address=address, ssh=False, timeout=1.0))
    f = d.finding("bridge.http")
    assert f.status == "fail" and "refuses connections" in f.summary
    assert "nothing listens" in f.summary


def test_bridge_unreachable_no_route(empty_netns):
    """In a namespace with no usable interface the doctor says 'no route', exit 1."""
    proc = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            empty_netns,
            sys.executable,
            "-m",
            "bridge_cli",
            "doctor",
            "127.0.0.1",
            "--no-ssh",
            "--json",
            "--timeout",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    http = next(c for c in doc["checks"] if c["id"] == "bridge.http")
    assert http["status"] == "fail" and "no route" in http["summary"]
    assert doc["ok"] is False


def test_guard_missing_is_a_failure():
    with loopback_bridge(haproxy_extra={"bridge_proxy_allow_writes": True}) as bed:
        f = run(bed).finding("bridge.guard")
    assert f.status == "fail" and "writes reach the PVS" in f.summary


def test_no_gzip_is_a_warning():
    with loopback_bridge(haproxy_extra={"bridge_proxy_compression": False}) as bed:
        f = run(bed).finding("bridge.gzip")
    assert f.status == "warn" and "does not compress" in f.summary


def test_pvs_just_died_timeout_names_the_refusal(bed):
    """Before haproxy marks it down, requests wait on its retries: the doctor still says why."""
    bed.sim.stop()
    _wait_check_status(bed, "L4CON")
    f = run(bed, timeout=1.0).finding("pvs.info")
    assert f.status == "fail"
    assert "refuses connections" in f.summary or "No server is available" in f.detail


def test_stats_behind_a_login_is_a_warning_not_a_failure():
    extra = {"bridge_proxy_stats_user": "admin", "bridge_proxy_stats_password": "s3cret-pw"}
    with loopback_bridge(haproxy_extra=extra) as bed:
        d = run(bed)
    f = d.finding("bridge.stats")
    assert f.status == "warn" and "needs a login" in f.summary
    assert d.finding("haproxy.backend").status == "skip"
    assert d.finding("pvs.info").status == "pass"


def test_non_json_answer_is_a_finding_with_an_excerpt(bed):
    """Point the doctor's HTTP port at haproxy's stats page: HTML where JSON is expected."""
    d = run(bed, port=8080)
    f = d.finding("pvs.info")
    assert f.status == "fail" and "not JSON" in f.summary
    assert "got: " in f.detail and "html" in f.detail.lower()


def test_clients_queued_in_front_of_the_pvs_are_reported():
    """Pollers wait in haproxy's pvs_queue backend while the PVS answers one at a time: the
    doctor reads that queue (not pvs_http's, which stays empty) and warns."""
    import threading

    with loopback_bridge(fault="slow", fault_seconds=3.0) as bed:
        threads = [
            threading.Thread(
                target=lambda: http_request(
                    bed.address, 80, "/cgi-bin/dl_cgi?Command=DeviceList", timeout=30
                ),
                daemon=True,
            )
            for _ in range(3)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        queued = 0
        while time.monotonic() < deadline and queued < 2:
            page = http_request(bed.address, 8080, "/;csv", timeout=2)
            rows = haproxy_stats.parse_stats_csv(page.body.decode())
            row = next(r for r in rows if (r["pxname"], r["svname"]) == ("pvs_queue", "BACKEND"))
            queued = int(row["qcur"] or 0)
            time.sleep(0.05)
        assert queued >= 2, "haproxy never queued the pollers"
        f = run(bed, timeout=0.5, devicelist_timeout=0.5).finding("haproxy.backend")
        for t in threads:
            t.join(30)
    assert f.status == "warn" and "queued waiting for the PVS" in f.summary, f
