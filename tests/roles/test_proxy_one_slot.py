"""One request at a time at the PVS, health check included: the role's haproxy.cfg in front
of the real PVS simulator, on loopback.

Ground truth is the simulator's own count of requests in flight (its `concurrency.peak`):
the health check, the pollers' reads and the :443 API all share the one PVS slot, in calm
time, during a slow scan and while the PVS hangs (TCP accepted, no answer: every request
it got stays in flight until the fault ends). A hang is still found by the health check,
readers then get the bridge's explicit 503 at once, and the bridge serves again by itself
once the PVS answers. No timed asserts: waits are bounded loops on haproxy's own state.
"""

from __future__ import annotations

import os
import shutil
import ssl
import time
import urllib.request
from pathlib import Path

import pytest
from roles_haproxy import HAPROXY, LOOPBACK, RunningHaproxy, loopback_overrides

from bridge_cli import bridge_tls
from bridge_cli.simulator.server import SimulatorConfig, SimulatorServer
from harness.testbed import Pollers, SilentHost
from harness.testbed import http_get as get

pytestmark = pytest.mark.skipif(
    not (shutil.which("haproxy") or os.path.exists(HAPROXY)), reason="haproxy not installed"
)

NEW_FIRMWARE = 61845
GET_COMM = "/cgi-bin/dl_cgi?Command=Get_Comm"
DEVICE_LIST = "/cgi-bin/dl_cgi?Command=DeviceList"
INFO = "/cgi-bin/dl_cgi/supervisor/info"
VARS = "/vars?name=/sys/info/serialnum"  # 403 without a session: still PVS work
FAST_CHECKS = {"bridge_proxy_health_check_interval": "1s"}


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def set_fault(sim: SimulatorServer, mode: str, seconds: float | None = None) -> None:
    query = f"mode={mode}" + (f"&seconds={seconds:g}" if seconds else "")
    request = urllib.request.Request(f"{sim.http_url}/_sim/fault?{query}", method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def server_row(bridge, backend: str = "pvs_http", server: str = "pvs") -> dict[str, str]:
    csv = get(bridge.stats, "/;csv", timeout=10)[2].decode().splitlines()
    header = csv[0][2:].split(",")
    rows = (dict(zip(header, line.split(","), strict=False)) for line in csv[1:])
    return next(r for r in rows if r["pxname"] == backend and r["svname"] == server)


def wait_for(what: str, predicate, limit: float = 60.0) -> None:
    """Poll PREDICATE until true; a bound against a hung test, not a measured time."""
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not within {limit:.0f} s"
        time.sleep(0.2)


def state(bridge, backend: str = "pvs_http", server: str = "pvs") -> str:
    return server_row(bridge, backend, server)["status"]


def legacy_bridge(tmp_path: Path, sim: SimulatorServer, **extra) -> RunningHaproxy:
    return RunningHaproxy(tmp_path, loopback_overrides(port_of(sim.http_url)) | FAST_CHECKS | extra)


# --- calm time: polling, the check, a scan ----------------------------------------------


def test_the_health_check_never_reaches_the_pvs_beside_a_request(tmp_path):
    """Realistic latency, the cache off: DeviceList scans of about 3 s and Get_Comm reads
    keep the PVS busy, and the health check (due every second here) comes due many times
    while one of them is at the PVS. It must not go beside it: peak 1."""
    config = SimulatorConfig(latency="realistic", https_port=None, ws_port=None)
    with (
        SimulatorServer(config) as sim,
        legacy_bridge(tmp_path, sim, bridge_proxy_cache=False) as bridge,
    ):
        wait_for("PVS up", lambda: state(bridge) == "UP")
        jobs = [(bridge.http, DEVICE_LIST, None)] + [(bridge.http, GET_COMM, None)] * 2
        with Pollers(jobs + [(bridge.http, INFO, None)]) as pollers:
            wait_for("three scans", lambda: sim.counters()["commands"].get("DeviceList", 0) >= 3)
        counters = sim.counters()
        row = server_row(bridge)
    assert {a[0] for a in pollers.answers} == {200}
    assert counters["commands"]["Get_Comm"] > 3
    assert row["status"] == "UP" and row["chkdown"] == "0"
    assert counters["concurrency"]["peak"] == 1


def test_a_scan_longer_than_the_check_timeout_is_not_a_hung_pvs(tmp_path):
    """DeviceList taking longer than the check's timeout (a slow PLC scan): the check
    cannot look at the PVS meanwhile, yet the PVS stays up and the scan's answer arrives."""
    config = SimulatorConfig(latency="none", https_port=None, ws_port=None)
    with SimulatorServer(config) as sim, legacy_bridge(tmp_path, sim) as bridge:
        wait_for("PVS up", lambda: state(bridge) == "UP")
        set_fault(sim, "slow_scan", 8)  # > bridge_proxy_health_check_timeout (3 s)
        status, _, body = get(bridge.http, DEVICE_LIST)  # 8 s: the check is due 8 times
        row = server_row(bridge)
        counters = sim.counters()
    assert status == 200 and b"devices" in body
    assert row["status"] == "UP" and row["chkdown"] == "0"
    assert counters["concurrency"]["peak"] == 1


# --- a hung PVS ---------------------------------------------------------------------------


def test_a_hung_pvs_gets_one_request_and_is_still_found_and_left_by_itself(tmp_path):
    """The fault of the soak's 06:31 event: TCP accepted, no answer. Whatever the bridge
    sends stays in flight at the PVS until the fault ends, so the bridge must send exactly
    one request in all that time, and still mark the PVS down (fast explicit 503s) and
    come back by itself once the PVS answers again."""
    config = SimulatorConfig(latency="none", https_port=None, ws_port=None)
    with SimulatorServer(config) as sim, legacy_bridge(tmp_path, sim) as bridge:
        assert get(bridge.http, DEVICE_LIST)[0] == 200  # cached from now on
        wait_for("PVS up", lambda: state(bridge) == "UP")
        set_fault(sim, "hang", 600)
        with Pollers([(bridge.http, GET_COMM, None)] * 2 + [(bridge.http, DEVICE_LIST, None)]):
            wait_for("hung PVS marked down", lambda: state(bridge) == "DOWN")
            row = server_row(bridge)
            time.sleep(10)  # checks keep coming due (every 2 s while down), readers reading
            status, headers, body = get(bridge.http, GET_COMM, timeout=10)
            in_flight = sim.counters()["concurrency"]
            set_fault(sim, "none")  # the PVS answers again
            wait_for("PVS back up", lambda: state(bridge) == "UP")
            assert get(bridge.http, GET_COMM)[0] == 200
        counters = sim.counters()
    assert row["check_status"] == "L7TOUT"  # what the doctor reads as "hung"
    assert status == 503 and headers.get("x-pvs-bridge-pvs") == "down"
    assert b"does not answer its health check" in body
    assert in_flight == {"current": 1, "peak": 1}
    assert counters["concurrency"]["peak"] == 1


def test_a_restarting_pvs_is_refused_and_marked_down_as_such(tmp_path):
    """Connections refused (a PVS rebooting): the check says so (L4CON, as the doctor
    expects) and the PVS is back after its reboot."""
    config = SimulatorConfig(latency="none", https_port=None, ws_port=None)
    with SimulatorServer(config) as sim, legacy_bridge(tmp_path, sim) as bridge:
        wait_for("PVS up", lambda: state(bridge) == "UP")
        set_fault(sim, "restarting", 8)
        wait_for("refusing PVS marked down", lambda: state(bridge) == "DOWN")
        row = server_row(bridge)
        wait_for("PVS back up", lambda: state(bridge) == "UP")
        status = get(bridge.http, GET_COMM)[0]
        counters = sim.counters()
    assert row["check_status"] == "L4CON"
    assert status == 200
    assert counters["concurrency"]["peak"] == 1


def test_an_unplugged_pvs_is_reported_as_no_answer_not_as_hung_or_refused(tmp_path):
    """SYNs that nobody answers (the PVS off, the LAN1 cable out). The check reaches the
    PVS through the hop, whose connect timeout is shorter than the check's: the hop says
    "timeout" and the check fails with its own comment, after that connect timeout,
    instead of timing out like a hung PVS (L7TOUT) or failing at once like a refusal."""
    config = SimulatorConfig(latency="none", https_port=None, ws_port=None)
    with SimulatorServer(config) as sim, legacy_bridge(tmp_path, sim) as bridge:
        port = port_of(sim.http_url)
        wait_for("PVS up", lambda: state(bridge) == "UP")
        sim.stop()
        with SilentHost(LOOPBACK, ports=(port,)):
            wait_for("unplugged PVS marked down", lambda: state(bridge) == "DOWN")
            wait_for("a finished check", lambda: server_row(bridge)["last_chk"] != "")
            row = server_row(bridge)
    assert row["check_status"] == "L4CON"
    assert "no answer to a connection" in row["last_chk"]
    assert int(row["check_duration"]) >= 1000  # the hop's connect timeout, not at once


# --- the 2025 firmware: :80 and the terminated :443 share the slot, checks included -----


def tls_context(tmp: Path, sim: SimulatorServer) -> tuple[Path, ssl.SSLContext]:
    bridge_tls.make_self_signed(tmp / "bridge.pem", "pvs-bridge", [LOOPBACK])
    pin = bridge_tls.presented_certificate(LOOPBACK, port_of(sim.https_url))
    (tmp / "pvs-pinned.pem").write_text(pin)
    return tmp, ssl.create_default_context(cafile=str(tmp / "bridge.pem"))


def test_both_apis_and_both_checks_share_one_slot_even_while_the_pvs_hangs(tmp_path):
    config = SimulatorConfig(latency="realistic", firmware=NEW_FIRMWARE, ws_port=None)
    with SimulatorServer(config) as sim:
        tls, context = tls_context(tmp_path, sim)
        variables = (
            loopback_overrides(port_of(sim.http_url))
            | FAST_CHECKS
            | {
                "bridge_proxy_https_mode": "terminate",
                "bridge_proxy_pvs_https_port": port_of(sim.https_url),
                "bridge_proxy_tls_dir": str(tls),
            }
        )
        with RunningHaproxy(tmp_path, variables) as bridge:
            https = (LOOPBACK, variables["bridge_proxy_https_port"])
            wait_for("PVS up", lambda: state(bridge) == state(bridge, "pvs_tls", "pvs_tls") == "UP")
            jobs = [(bridge.http, GET_COMM, None), (https, VARS, context)] * 2
            with Pollers(jobs) as pollers:
                time.sleep(6)  # both checks due every second beside the pollers
                calm = sim.counters()["concurrency"]["peak"]
                set_fault(sim, "hang", 600)
                wait_for("hung PVS marked down", lambda: state(bridge) == "DOWN")
                wait_for("TLS side down", lambda: state(bridge, "pvs_tls", "pvs_tls") == "DOWN")
                hung = sim.counters()["concurrency"]
                set_fault(sim, "none")
                wait_for(
                    "PVS back", lambda: state(bridge) == state(bridge, "pvs_tls", "pvs_tls") == "UP"
                )
            counters = sim.counters()
    assert {a[0] for a in pollers.answers} <= {200, 403, 503}  # 403: no session
    assert counters["commands"]["vars"] > 3 and counters["commands"]["Get_Comm"] > 3
    assert calm == 1
    assert hung == {"current": 1, "peak": 1}
    assert counters["concurrency"]["peak"] == 1
