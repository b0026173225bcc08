"""The terminated :443 in front of the 2025-firmware simulator (HTTPS API), on loopback.

The bridge's certificate and the PVS's pin are made here as the role makes them on the Pi
(bridge_cli.bridge_tls; the pin is what the simulator presents). Ground truth is the
simulator's counters: refused writes never reach it, reads and the allowlisted telemetry
switch do, and at most one request at a time reaches it over :80 and :443 together.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import http.client
import json
import os
import shutil
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from roles_haproxy import HAPROXY, LOOPBACK, RunningHaproxy, check_config, loopback_overrides

from bridge_cli import bridge_tls
from bridge_cli.simulator.server import SimulatorConfig, SimulatorServer
from harness import proxy_attacks
from harness.proxy_config import render_haproxy_cfg

pytestmark = pytest.mark.skipif(
    not (shutil.which("haproxy") or os.path.exists(HAPROXY)), reason="haproxy not installed"
)

NEW_FIRMWARE = 61845


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def tls_dir(tmp: Path, pvs_https_port: int) -> Path:
    """bridge.pem (the bridge's certificate + key, 0600) and the PVS's pinned certificate."""
    bridge_tls.make_self_signed(tmp / "bridge.pem", "pvs-bridge", [LOOPBACK])
    (tmp / "pvs-pinned.pem").write_text(bridge_tls.presented_certificate(LOOPBACK, pvs_https_port))
    return tmp


def terminate_overrides(sim: SimulatorServer, tls: Path, **extra) -> dict:
    return loopback_overrides(port_of(sim.http_url)) | {
        "bridge_proxy_https_mode": "terminate",
        "bridge_proxy_pvs_https_port": port_of(sim.https_url),
        "bridge_proxy_tls_dir": str(tls),
        **extra,
    }


@pytest.fixture(scope="module")
def sim():
    config = SimulatorConfig(latency="none", firmware=NEW_FIRMWARE, ws_port=None)
    with SimulatorServer(config) as s:
        yield s


@pytest.fixture(scope="module")
def tls(tmp_path_factory, sim):
    return tls_dir(tmp_path_factory.mktemp("tls"), port_of(sim.https_url))


@pytest.fixture(scope="module")
def bridge(tmp_path_factory, sim, tls):
    with RunningHaproxy(tmp_path_factory.mktemp("cfg"), terminate_overrides(sim, tls)) as h:
        yield h


class Client:
    """An HTTPS client of the bridge that trusts the bridge's own certificate only."""

    def __init__(self, bridge, tls: Path):
        self.addr = (LOOPBACK, bridge.variables["bridge_proxy_https_port"])
        self.context = ssl.create_default_context(cafile=str(tls / "bridge.pem"))
        self.cookie = ""

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPSConnection(*self.addr, context=self.context, timeout=15)
        try:
            sent = {"Cookie": self.cookie} if self.cookie else {}
            conn.request(method, path, body=body, headers=sent | (headers or {}))
            answer = conn.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            conn.close()

    def login(self, sim) -> str:
        serial = json.loads(self.request("GET", "/cgi-bin/dl_cgi/supervisor/info")[2])[
            "supervisor"
        ]["SERIAL"]
        token = base64.b64encode(f"ssm_owner:{serial[-5:]}".encode()).decode()
        status, headers, _ = self.request(
            "GET", "/auth?login", headers={"Authorization": f"basic {token}"}
        )
        assert status == 200
        self.cookie = headers["set-cookie"].split(";")[0]
        return headers["set-cookie"]


def vars_count(sim) -> int:
    return sim.counters()["commands"].get("vars", 0)


# --- terminated TLS, the bridge's certificate, the session cookie -----------------------


def test_the_bridge_presents_its_own_certificate_and_the_cookie_stays_secure(bridge, tls, sim):
    client = Client(bridge, tls)  # verification against bridge.pem: fails on the PVS's
    set_cookie = client.login(sim)
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie
    status, headers, body = client.request(
        "GET", "/vars?name=/sys/info/serialnum", headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers.get("content-encoding") == "gzip"  # gzip for JSON, as on :80
    assert "/sys/info/serialnum" in gzip.decompress(body).decode()


READS = [
    ("GET", "/vars?name=/sys/info/serialnum", None),
    ("GET", "/vars?name=/sys/info/serialnum,/sys/info/sw_rev&fmt=obj", None),
    ("GET", "/vars?match=/sys/info&cache=mdata", None),
    ("GET", "/vars?name=%2Fsys%2Finfo%2Fserialnum", None),
    ("POST", "/vars", "name=/sys/info/serialnum"),
    ("POST", "/vars", "match=livedata"),
    ("POST", "/vars", "match=/sys/info&fmt=obj"),
    # pypvs and the Home Assistant integrations switch the telemetry on: allowlisted.
    ("GET", "/vars?set=/sys/telemetryws/enable=1", None),
    ("POST", "/vars", "set=/sys/telemetryws/enable=1"),
    ("POST", "/vars", "set=%2Fsys%2Ftelemetryws%2Fenable%3D1"),
]


@pytest.mark.parametrize(("method", "path", "body"), READS)
def test_new_api_reads_reach_the_pvs(bridge, tls, sim, method, path, body):
    client = Client(bridge, tls)
    client.login(sim)
    before = vars_count(sim)
    status, _, data = client.request(method, path, body=body)
    assert status == 200, data
    assert vars_count(sim) == before + 1


WRITES = [
    ("GET", "/vars?set=/ess/config/dcm/mode_param/control_mode=1", None),
    ("POST", "/vars", "set=/ess/config/dcm/mode_param/control_mode=1"),
    ("GET", "/vars?set=/sys/telemetryws/enable=0", None),
    ("GET", "/vars?set=/sys/telemetryws/enable=1,/ess/config/dcm/x=1", None),
    ("GET", "/vars?name=a&set=/sys/telemetryws/enable=1&set=/ess/x=1", None),
    ("GET", "/vars?SET=/ess/x=1", None),
    ("GET", "/vars?%73et=/ess/x=1", None),
    ("GET", "/vars?%2573et=/ess/x=1", None),
    ("GET", "/vars?name=x%26set%3D/ess/x=1", None),
    ("GET", "/vars?name=x;set=/ess/x=1", None),
    ("GET", "/vars?tags=x&set=/ess/x=1", None),
    ("POST", "/vars", "name=a&set=/ess/x=1"),
    ("POST", "/vars", "set=/ess/x%3D1"),
    ("POST", "/vars", "name=" + "a" * 1100),  # the PVS takes at most 1024 bytes
    ("POST", "/vars?name=a", "set=/ess/x=1"),
    ("PUT", "/vars", "set=/ess/x=1"),
    ("DELETE", "/vars", None),
    ("GET", "/auth?login&set=/ess/x=1", None),
    ("POST", "/auth?login", "x"),
    ("POST", "/cgi-bin/dl_cgi?Command=DeviceList", "x=1"),
    ("POST", "/cgi-bin/dl_cgi/firmware/upgrade", "x=1"),
    ("GET", "/cgi-bin/dl_cgi?Command=SetCellPurchased", None),
    ("GET", "/cgi-bin/dl_cgi/grid-profile/set?id=1", None),
    ("GET", "/cgi-bin/dl_cgi/network/config", None),
    ("GET", "/cgi-bin/dl_cgi/tunnel/open", None),
    ("GET", "/cgi-bin/dl_cgi/supervisor/info?Command=SetCellPurchased", None),
    ("GET", "/vars", "set=/ess/x=1"),  # a body on a GET
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_new_api_writes_are_refused_before_the_pvs(bridge, tls, sim, method, path, body):
    client = Client(bridge, tls)
    client.login(sim)
    before = sim.counters()["commands"]
    status, headers, _ = client.request(method, path, body=body)
    assert status == 403
    assert headers.get("x-pvs-bridge-guard") == "read-only"
    # Nothing reached the PVS (but the bridge's own health check, supervisor/info).
    assert proxy_attacks.delta(before, sim.counters()["commands"]) == {}


def test_chunked_post_body_is_refused(bridge, tls, sim):
    client = Client(bridge, tls)
    before = vars_count(sim)
    conn = http.client.HTTPSConnection(*client.addr, context=client.context, timeout=15)
    conn.request("POST", "/vars", body=iter([b"set=/ess/x=1"]), encode_chunked=True)
    status = conn.getresponse().status
    conn.close()
    assert status == 403
    assert vars_count(sim) == before


def test_a_listed_variable_path_allows_any_value(tmp_path, sim, tls):
    variables = terminate_overrides(
        sim, tls, bridge_proxy_allowed_sets=["/sys/telemetryws/enable=1", "/ess/config/dcm/mode"]
    )
    with RunningHaproxy(tmp_path, variables) as bridge:
        client = Client(bridge, tls)
        client.login(sim)
        before = vars_count(sim)
        # Through the guard (the PVS answers as it sees fit), and the other path is not.
        assert client.request("GET", "/vars?set=/ess/config/dcm/mode=2")[0] != 403
        assert client.request("GET", "/vars?set=/ess/config/dcm/other=2")[0] == 403
        assert vars_count(sim) == before + 1


def test_allow_writes_opens_the_new_api(tmp_path, sim, tls):
    variables = terminate_overrides(sim, tls, bridge_proxy_allow_writes=True)
    with RunningHaproxy(tmp_path, variables) as bridge:
        client = Client(bridge, tls)
        client.login(sim)
        before = vars_count(sim)
        assert client.request("POST", "/vars", body="set=/ess/config/dcm/x=1")[0] != 403
        assert vars_count(sim) == before + 1


# --- one PVS slot for both APIs -------------------------------------------------------


def test_one_request_at_a_time_over_80_and_443_together(tmp_path, tls):
    """Pollers on :80 (legacy paths, answered 403 by new firmware but still PVS work) and on
    :443 at once, the PVS slow: the PVS never sees two requests at a time."""
    config = SimulatorConfig(latency="realistic", firmware=NEW_FIRMWARE, ws_port=None)
    with SimulatorServer(config) as pvs:
        local_tls = tls_dir(tmp_path, port_of(pvs.https_url))
        # Without the health check: it is one small read every few seconds beside the
        # slot (docs/proxy.md), and the simulator would count it in the peak.
        variables = terminate_overrides(pvs, local_tls, bridge_proxy_health_check=False)
        with RunningHaproxy(tmp_path, variables) as bridge:
            client = Client(bridge, local_tls)
            client.login(pvs)
            http_addr = bridge.http

            def legacy(i):
                conn = http.client.HTTPConnection(*http_addr, timeout=60)
                conn.request("GET", f"/cgi-bin/dl_cgi?Command=Get_Comm&i={i}")
                status = conn.getresponse().status
                conn.close()
                return status

            def new(i):
                return client.request("GET", f"/vars?name=/sys/info/serialnum&cache=x{i}")[0]

            with ThreadPoolExecutor(max_workers=8) as pool:
                futures = [pool.submit(legacy if i % 2 else new, i) for i in range(8)]
                statuses = [f.result() for f in futures]
            assert all(s in (200, 403) for s in statuses)
            counters = pvs.counters()
    assert counters["concurrency"]["peak"] == 1
    assert counters["commands"].get("vars", 0) >= 4


# --- the pin ----------------------------------------------------------------------------


def test_a_pvs_that_is_not_the_pinned_one_is_refused(tmp_path, sim, tls):
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(tls / "bridge.pem", other / "bridge.pem")
    bridge_tls.make_self_signed(other / "pvs-pinned.pem", "another-pvs", [LOOPBACK])
    variables = terminate_overrides(sim, other, bridge_proxy_health_check_interval="1s")
    with RunningHaproxy(tmp_path, variables) as bridge:
        client = Client(bridge, other)
        before = sim.counters()["commands"].get("vars", 0)
        deadline = time.monotonic() + 30
        while True:  # until the health check has marked the PVS down (bounded)
            status, headers, body = client.request("GET", "/vars?name=/sys/info/serialnum")
            if headers.get("x-pvs-bridge-pvs") == "down" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert status == 503
        assert b"not the one pinned" in body and b"bridge_proxy_pvs_repin=true" in body
        assert sim.counters()["commands"].get("vars", 0) == before


def test_passthrough_mode_still_carries_tls_end_to_end(tmp_path, sim, tls):
    variables = loopback_overrides(port_of(sim.http_url)) | {
        "bridge_proxy_https_mode": "passthrough",
        "bridge_proxy_pvs_https_port": port_of(sim.https_url),
    }
    with RunningHaproxy(tmp_path, variables):
        port = variables["bridge_proxy_https_port"]
        pvs_cert = ssl.get_server_certificate((LOOPBACK, port))
    assert pvs_cert == (tls / "pvs-pinned.pem").read_text()  # the PVS's own, not the bridge's


TERMINATE_VARIANTS = {
    "defaults": {},
    "writes allowed": {"bridge_proxy_allow_writes": True},
    "cache off": {"bridge_proxy_cache": False},
    "no health check": {"bridge_proxy_health_check": False},
    "nothing to set": {"bridge_proxy_allowed_sets": []},
    "any value": {"bridge_proxy_allowed_sets": ["/ess/config/dcm/mode", "/sys/a.b=x-1"]},
    "unpinned": {"__bridge_proxy_pvs_pinned": False},
}


@pytest.mark.parametrize("extra", TERMINATE_VARIANTS.values(), ids=TERMINATE_VARIANTS.keys())
def test_haproxy_validates_every_terminate_variant(tmp_path, extra):
    tls = tmp_path / "tls"
    tls.mkdir()
    bridge_tls.make_self_signed(tls / "bridge.pem", "pvs-bridge", [LOOPBACK])
    bridge_tls.make_self_signed(tls / "pvs-pinned.pem", "pvs", [LOOPBACK])
    variables = loopback_overrides(80) | {
        "bridge_proxy_https_mode": "terminate",
        "bridge_proxy_tls_dir": str(tls),
        **extra,
    }
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render_haproxy_cfg(variables))
    result = check_config(cfg)
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_a_pin_443_says_why(tmp_path, sim, tls):
    variables = terminate_overrides(sim, tls, __bridge_proxy_pvs_pinned=False)
    with RunningHaproxy(tmp_path, variables) as bridge:
        status, headers, body = Client(bridge, tls).request("GET", "/vars?name=/sys/info/serialnum")
    assert status == 503
    assert headers.get("x-pvs-bridge-pvs") == "unpinned"
    assert b"no pinned certificate" in body


def test_pypvs_unchanged_through_the_terminated_bridge(bridge, tls, sim):
    """SunStrong's pypvs (the Home Assistant integration's library) as its users run it:
    discover, log in, read the gateway, inverters and meters, switch the telemetry on (an
    allowlisted write); a write that is not allowlisted is refused and reaches nothing."""
    aiohttp = pytest.importorskip("aiohttp")
    pvs_module = pytest.importorskip("pypvs.pvs")
    port = bridge.variables["bridge_proxy_https_port"]

    async def session_run():
        async with aiohttp.ClientSession() as session:
            pvs = pvs_module.PVS(session=session, host=f"{LOOPBACK}:{port}", user="ssm_owner")
            await pvs.discover()
            await pvs.setup(auth_password=pvs.serial_number[-5:])
            data = await pvs.update()
            await pvs.enable_telemetry_websocket()
            before = proxy_attacks.delta({}, sim.counters()["commands"])
            with pytest.raises(Exception, match="POST request failed"):
                await pvs.getVarserver(
                    "/vars", params={"set": "/ess/config/dcm/mode_param/control_mode=1"}
                )
            after = proxy_attacks.delta({}, sim.counters()["commands"])
            return data, before, after

    data, before, after = asyncio.run(session_run())
    assert len(data.inverters) == 12 and data.meters
    assert after == before  # the refused write reached nothing
