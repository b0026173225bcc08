"""The legacy dl_cgi API: every command, REST paths, headers, bad requests."""

from __future__ import annotations

import json
import socket

import pytest
from simhttp import connect, get_json, request

DL = "/cgi-bin/dl_cgi?Command="


def test_device_list_shape(legacy):
    status, data = get_json(legacy.http_url, DL + "DeviceList")
    assert status == 200
    assert data["result"] == "succeed"
    types = [d["DEVICE_TYPE"] for d in data["devices"]]
    assert types == ["PVS", "Power Meter", "Power Meter"] + ["Inverter"] * 4
    supervisor, production, consumption = data["devices"][:3]
    assert supervisor["SERIAL"] == "ZT214385001823A0748"
    assert supervisor["SWVER"] == "2021.9, Build 41001"
    assert production["TYPE"] == "PVS5-METER-P" and production["SERIAL"].endswith("p")
    assert consumption["TYPE"] == "PVS5-METER-C" and consumption["SERIAL"].endswith("c")
    assert production["CAL0"] == "50" and consumption["CAL0"] == "100"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("Stop", {"result": "succeed"}),
        ("CheckFW", {"url": "none"}),
        ("GetCellPurchased", {"cell_purchased": "null"}),
        ("SetCellPurchased&SerialNumber=ZT214385001823A0748",
         {"cell_purchased": "null", "result": "succeed"}),
        ("DeviceDetails&SerialNumber=ZT214385001823A0748", {"result": "unknown command"}),
        ("NoSuchCommand", {"result": "unknown command"}),
        ("", {"result": "unknown command"}),
    ],
)  # fmt: skip
def test_simple_commands(legacy, command, expected):
    status, data = get_json(legacy.http_url, DL + command)
    assert status == 200
    assert data == expected


def test_no_command_at_all(legacy):
    assert get_json(legacy.http_url, "/cgi-bin/dl_cgi") == (200, {"result": "unknown command"})


def test_get_comm(legacy):
    status, data = get_json(legacy.http_url, DL + "Get_Comm&SerialNumber=ZT214385001823A0748")
    assert status == 200 and data["result"] == "succeed"
    names = [i["interface"] for i in data["networkstatus"]["interfaces"]]
    assert names == ["wan", "plc", "sta0", "cell"]
    assert data["networkstatus"]["system"]["interface"] == "sta0"


def test_start(legacy):
    _, data = get_json(legacy.http_url, DL + "Start")
    assert data["result"] == "succeed"
    assert data["supervisor"]["BUILD"] == 41001
    assert data["supervisor"]["SERIAL"] == "ZT214385001823A0748"


def test_grid_profiles(legacy):
    _, active = get_json(legacy.http_url, DL + "GridProfileGet")
    assert active["result"] == "succeed" and active["percent"] == 100
    _, refresh = get_json(legacy.http_url, DL + "GridProfileRefresh")
    ids = {p["id"] for p in refresh["profiles"]}
    assert active["active_id"] in ids
    for profile in refresh["profiles"]:
        assert set(profile) == {"selfsupply", "zipcodes", "default", "filename", "id", "name"}


def test_discovery_progress(legacy):
    _, data = get_json(legacy.http_url, DL + "GetDiscoveryProgress")
    assert data["result"] == "succeed"
    assert data["progress"][0]["TYPE"] == "MicroInverters"
    assert data["progress"][0]["PROGR"] == 100


def test_rest_paths(legacy):
    status, info = get_json(legacy.http_url, "/cgi-bin/dl_cgi/supervisor/info")
    assert status == 200 and info["supervisor"]["BUILD"] == 41001
    status, listing = get_json(legacy.http_url, "/cgi-bin/dl_cgi/devices/list")
    assert status == 200 and len(listing["devices"]) == 7
    # no SunVault configured
    status, ess = get_json(legacy.http_url, "/cgi-bin/dl_cgi/energy-storage-system/status")
    assert ess == {"result": "unknown command"}


def test_ess_devices_and_status(make_sim):
    sim = make_sim(ess=True)
    _, data = get_json(sim.http_url, DL + "DeviceList")
    types = {d.get("TYPE") for d in data["devices"]}
    assert {"HUB+", "EQUINOX-MIO", "PV-DISCONNECT", "GATEWAY", "SCHNEIDER-XWPRO"} <= types
    assert {"EQUINOX-BMS", "BATTERY", "EQUINOX-ESS"} <= types
    status, ess = get_json(sim.http_url, "/cgi-bin/dl_cgi/energy-storage-system/status")
    assert status == 200
    assert len(ess["ess_report"]["battery_status"]) == 2


def test_lighttpd_headers(legacy):
    status, headers, body = request(legacy.http_url, DL + "DeviceList")
    assert status == 200
    assert headers["Server"] == "lighttpd/1.4.51"
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"].startswith("no-cache, no-store")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Methods"] == "GET,POST,DELETE,PUT"
    assert headers["Pragma"] == "no-cache"
    assert "dlcgi-build-time" in headers
    assert int(headers["Content-Length"]) == len(body)


def test_http11_keepalive_reuses_connection(legacy):
    conn = connect(legacy.http_url)
    try:
        for _ in range(3):
            conn.request("GET", DL + "CheckFW")
            resp = conn.getresponse()
            assert resp.version == 11
            assert resp.getheader("Connection") != "close"
            assert json.loads(resp.read()) == {"url": "none"}
    finally:
        conn.close()
    assert legacy.counters()["connections"] == 1


def test_command_in_post_body(legacy):
    status, data = get_json(
        legacy.http_url,
        "/cgi-bin/dl_cgi",
        method="POST",
        body="Command=CheckFW",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (status, data) == (200, {"url": "none"})


def test_head_and_options(legacy):
    status, headers, body = request(legacy.http_url, DL + "CheckFW", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0
    status, headers, _ = request(legacy.http_url, DL + "DeviceList", method="OPTIONS")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_path_gets_lighttpd_404(legacy):
    status, headers, body = request(legacy.http_url, "/nothing/here")
    assert status == 404
    assert b"404 - Not Found" in body and headers["Content-Type"] == "text/html"


def test_new_api_paths_absent_on_legacy(legacy):
    assert request(legacy.http_url, "/auth?login")[0] == 404
    assert request(legacy.http_url, "/vars?name=/sys/info/uptime")[0] == 404


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /cgi-bin/dl_cgi?Command=DeviceList HTTP/9.9\r\n\r\n",
        b"POST /cgi-bin/dl_cgi HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        b"POST /cgi-bin/dl_cgi HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
        b"POST /cgi-bin/dl_cgi HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_bad_requests_get_an_answer_and_server_survives(legacy, raw):
    host, port = legacy.http_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(raw)
        answer = sock.recv(65536)
    status_line = answer.split(b"\r\n")[0]
    assert answer.startswith(b"HTTP/1.")
    assert int(status_line.split()[1]) in (400, 413, 505)
    assert b"Traceback" not in answer
    assert get_json(legacy.http_url, DL + "CheckFW") == (200, {"url": "none"})


def test_chunked_body_is_read(legacy):
    host, port = legacy.http_url.removeprefix("http://").split(":")
    raw = (
        b"POST /cgi-bin/dl_cgi HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\nf\r\nCommand=CheckFW\r\n0\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.split(b"\r\n\r\n", 1)[1] == b'{"url": "none"}'
