"""Real clients, unchanged, against the simulator.

- 2025 API: SunStrong's `pypvs` (PVS + PVSWebSocket), the library Home Assistant uses.
- Legacy API: the request pattern of the Home Assistant "sunpower" integration's
  `sunpower.py` (`requests.get(".../cgi-bin/dl_cgi?Command=DeviceList", timeout=120)` then
  `.json()`, devices grouped by DEVICE_TYPE, numeric strings read with float()).
"""

from __future__ import annotations

import asyncio
import os
import socket

import aiohttp
import pytest
from pypvs.pvs import PVS
from pypvs.pvs_websocket import PVSWebSocket

requests = pytest.importorskip("requests")  # dev dependency (the legacy client's HTTP library)


class LegacyMonitor:
    """The legacy client's request pattern (written here, not copied)."""

    def __init__(self, host: str):
        self.command_url = f"http://{host}/cgi-bin/dl_cgi?Command="

    def generic_command(self, command: str) -> dict:
        response = requests.get(self.command_url + command, timeout=120)
        response.raise_for_status()
        return response.json()

    def device_list(self) -> dict:
        return self.generic_command("DeviceList")

    def network_status(self) -> dict:
        return self.generic_command("Get_Comm")


def test_legacy_home_assistant_pattern(legacy):
    monitor = LegacyMonitor(legacy.http_url.removeprefix("http://"))
    data = monitor.device_list()
    by_type: dict[str, list[dict]] = {}
    for device in data["devices"]:
        by_type.setdefault(device["DEVICE_TYPE"], []).append(device)
    assert set(by_type) == {"PVS", "Power Meter", "Inverter"}
    pvs = by_type["PVS"][0]
    assert float(pvs["dl_uptime"]) > 0 and float(pvs["dl_cpu_load"]) >= 0
    for meter in by_type["Power Meter"]:
        float(meter["p_3phsum_kw"]), float(meter["net_ltea_3phsum_kwh"])
    for inverter in by_type["Inverter"]:
        if inverter["STATE"] == "working":
            float(inverter["ltea_3phsum_kwh"]), float(inverter["p_3phsum_kw"])
    assert monitor.network_status()["result"] == "succeed"
    assert legacy.counters()["commands"] == {"DeviceList": 1, "Get_Comm": 1}


async def _pypvs_roundtrip(host: str, password: str | None = None):
    async with aiohttp.ClientSession() as session:
        pvs = PVS(session=session, host=host, user="ssm_owner")
        await pvs.discover()
        await pvs.setup(auth_password=password or pvs.serial_number[-5:])
        return pvs, await pvs.update()


def _check_pypvs(pvs, data, inverters: int) -> None:
    assert pvs.serial_number == "ZT214385001823A0748"
    assert data.gateway.pvs_type == "PVS6" and data.gateway.uptime_s > 0
    assert data.gateway.software_version.endswith("61846")
    assert len(data.inverters) == inverters
    for inverter in data.inverters.values():
        assert inverter.model == "AC_Module_Type_E" and inverter.lte_kwh > 0
        assert inverter.last_report_date > 0
    assert {m.model for m in data.meters.values()} == {"PVS6M0400p", "PVS6M0400c"}


def test_pypvs_against_https_port(make_sim):
    """discover (public vars), login, gateway variables by name, then the inverter, meter
    and ESS prefix matches (`match=/sys/devices/inverter/` ...) pypvs's updaters send."""
    sim = make_sim(firmware=61846, ess=True)
    # pypvs builds https://{host}; giving it "127.0.0.1:<port>" reaches the free port.
    pvs, data = asyncio.run(_pypvs_roundtrip(sim.https_url.removeprefix("https://")))
    _check_pypvs(pvs, data, 4)
    assert len(data.ess) == 1
    commands = sim.counters()["commands"]
    assert commands["auth?login"] == 1 and commands["vars"] > 5


async def _pypvs_two_updates(sim, host: str):
    async with aiohttp.ClientSession() as session:
        pvs = PVS(session=session, host=host, user="ssm_owner")
        await pvs.discover()
        await pvs.setup(auth_password=pvs.serial_number[-5:])
        await pvs.update()
        sim.clock.advance(301)  # the session ends 300 s after login
        return await pvs.update()


def test_pypvs_logs_in_again_after_session_expiry(newfw):
    data = asyncio.run(_pypvs_two_updates(newfw, newfw.https_url.removeprefix("https://")))
    assert len(data.inverters) == 4
    counters = newfw.counters()
    assert counters["commands"]["auth?login"] == 2 and counters["statuses"]["401"] >= 1


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # like the listener
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


@pytest.mark.skipif(os.geteuid() != 0, reason="binding port 443 needs root")
def test_pypvs_unchanged_on_port_443(make_sim):
    host = "127.0.0.42"
    if not (_port_free(host, 443) and _port_free(host, 9002)):
        pytest.skip(f"{host}:443 or :9002 busy")
    sim = make_sim(firmware=61846, host=host, https_port=443, ws_port=9002, ess=True)
    pvs, data = asyncio.run(_pypvs_roundtrip(host))  # plain host: pypvs's own defaults
    _check_pypvs(pvs, data, 4)
    assert len(data.ess) == 1
    assert sim.https_url == f"https://{host}:443"


async def _websocket_live_data(pvs_host: str, ws_host: str, ws_port: int):
    async with aiohttp.ClientSession() as session:
        pvs = PVS(session=session, host=pvs_host, user="ssm_owner")
        await pvs.discover()
        await pvs.setup(auth_password=pvs.serial_number[-5:])
        ws = PVSWebSocket(ws_host, ws_port, enable_callback=pvs.enable_telemetry_websocket)
        changed: asyncio.Queue = asyncio.Queue()
        ws.add_listener(changed.put_nowait)
        await ws.connect()
        try:
            names = await asyncio.wait_for(changed.get(), timeout=15)
            return names, ws.live_data
        finally:
            await ws.disconnect()


def test_pypvs_telemetry_websocket(make_sim):
    sim = make_sim(firmware=61846, ws_interval=0.2)
    names, live = asyncio.run(
        _websocket_live_data(sim.https_url.removeprefix("https://"), "127.0.0.1", sim.ports["ws"])
    )
    assert "/sys/livedata/pv_en" in names
    assert live.pv_en > 0 and live.time is not None
    counters = sim.counters()
    assert counters["commands"]["ws"] >= 1 and counters["statuses"]["101"] >= 1
    # pypvs enabled telemetry through the varserver first
    assert sim.model.writable["/sys/telemetryws/enable"] == "1"


async def _websocket_across_pvs_close(sim, host: str):
    """Live data, then the PVS's 10-minute close, then pypvs's own reconnect."""
    async with aiohttp.ClientSession() as session:
        pvs = PVS(session=session, host=host, user="ssm_owner")
        await pvs.discover()
        await pvs.setup(auth_password=pvs.serial_number[-5:])
        ws = PVSWebSocket(
            "127.0.0.1", sim.ports["ws"], enable_callback=pvs.enable_telemetry_websocket
        )
        changed: asyncio.Queue = asyncio.Queue()
        ws.add_listener(changed.put_nowait)
        await ws.connect()
        try:
            await asyncio.wait_for(changed.get(), timeout=15)
            sim.clock.advance(600)  # the PVS closes the WebSocket
            await asyncio.wait_for(changed.get(), timeout=30)  # data again, new connection
        finally:
            await ws.disconnect()


def test_pypvs_reconnects_after_the_pvs_closes_the_websocket(make_sim):
    sim = make_sim(firmware=61846, ws_interval=0.1)
    asyncio.run(_websocket_across_pvs_close(sim, sim.https_url.removeprefix("https://")))
    counters = sim.counters()
    assert counters["events"]["ws_closed_by_pvs"] == 1
    assert counters["commands"]["ws"] == 2 and counters["statuses"]["101"] == 2


def test_websocket_port_refuses_plain_http(make_sim):
    sim = make_sim(firmware=61846)
    response = requests.get(f"http://127.0.0.1:{sim.ports['ws']}/", timeout=5)
    assert response.status_code == 400
