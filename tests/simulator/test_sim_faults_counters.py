"""Fault modes (at start and at run time) and the counters endpoint."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest
from simhttp import get_json, request

DL = "/cgi-bin/dl_cgi?Command=DeviceList"


def wait_for(predicate, timeout: float = 10.0) -> None:
    """Poll until `predicate()` is true (a readiness wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def refused(url: str) -> bool:
    host, port = url.split("//")[1].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except (ConnectionRefusedError, ConnectionResetError):
        return True
    return False


def dropped(url: str, outcomes: list) -> None:
    """One DeviceList that must end without an answer (appends True when it did)."""
    try:
        request(url, DL, timeout=20)
    except (OSError, http.client.HTTPException):
        outcomes.append(True)
    else:
        outcomes.append(False)


def control(sim, path: str, method: str = "POST"):
    return get_json(sim.http_url, path, method=method)


@pytest.mark.parametrize("mode", ["error500", "locked403"])
def test_error_pages(legacy, mode):
    status, data = control(legacy, f"/_sim/fault?mode={mode}")
    assert status == 200 and data["fault"]["mode"] == mode
    status, headers, body = request(legacy.http_url, DL)
    code = 500 if mode == "error500" else 403
    assert status == code and headers["Content-Type"] == "text/html"
    assert f"<h1>{code} - ".encode() in body
    assert headers["Server"] == "lighttpd/1.4.51"
    control(legacy, "/_sim/fault?mode=none")
    assert request(legacy.http_url, DL)[0] == 200


def test_fault_at_start(make_sim):
    sim = make_sim(fault="error500")
    assert request(sim.http_url, DL)[0] == 500
    assert sim.counters()["fault"]["mode"] == "error500"
    sim.clear_fault()
    assert request(sim.http_url, DL)[0] == 200


def test_truncated_json(legacy):
    legacy.set_fault("truncated")
    status, headers, body = request(legacy.http_url, DL)
    assert status == 200 and int(headers["Content-Length"]) == len(body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    assert body.startswith(b'{"devices": [')


def test_slow_answers_later_than_a_client_waits(legacy):
    legacy.set_fault("slow", seconds=3)
    with pytest.raises(TimeoutError):
        request(legacy.http_url, "/cgi-bin/dl_cgi?Command=CheckFW", timeout=0.3)
    legacy.set_fault("slow", seconds=0.05)
    assert request(legacy.http_url, "/cgi-bin/dl_cgi?Command=CheckFW")[0] == 200


def test_hang_never_answers_until_cleared(legacy):
    legacy.set_fault("hang")
    with pytest.raises(TimeoutError):
        request(legacy.http_url, DL, timeout=0.3)
    # a hung request is released (connection dropped, no answer) when the fault changes
    outcome = {}

    def client():
        try:
            outcome["answer"] = request(legacy.http_url, DL, timeout=10)
        except Exception as exc:  # noqa: BLE001 - any failure is the expected outcome
            outcome["error"] = exc

    thread = threading.Thread(target=client)
    thread.start()
    wait_for(lambda: legacy.counters()["commands"].get("DeviceList") == 2)
    legacy.clear_fault()
    thread.join(10)
    assert "error" in outcome and "answer" not in outcome
    assert legacy.counters()["statuses"].get("0", 0) >= 1
    assert request(legacy.http_url, DL)[0] == 200


def test_restarting_refuses_then_comes_back_with_small_uptime(legacy):
    before = legacy.counters()
    assert before["boots"] == 1 and before["uptime"] > 80000
    status, data = control(legacy, "/_sim/fault?mode=restarting&seconds=1")
    assert status == 200 and data["fault"]["mode"] == "restarting"
    assert refused(legacy.http_url)  # at once: a client asking next must not be served
    wait_for(lambda: not refused(legacy.http_url))
    wait_for(lambda: legacy.counters()["fault"]["mode"] == "none")
    _, data = get_json(legacy.http_url, DL)
    assert int(data["devices"][0]["dl_uptime"]) < 60
    assert legacy.counters()["boots"] == 2


def test_restarting_closes_https_and_forgets_sessions(newfw):
    import base64

    auth = {"Authorization": "basic " + base64.b64encode(b"ssm_owner:A0748").decode()}
    _, body = get_json(newfw.https_url, "/auth?login", headers=auth)
    cookie = {"Cookie": f"session={body['session']}"}
    newfw.set_fault("restarting", seconds=0.5)
    assert refused(newfw.https_url) and refused(newfw.http_url)
    wait_for(lambda: newfw.counters()["boots"] == 2 and not refused(newfw.https_url))
    assert get_json(newfw.https_url, "/vars?name=/sys/info/uptime", headers=cookie)[0] == 401


def test_fault_control_rejects_bad_input(legacy):
    status, data = control(legacy, "/_sim/fault?mode=explode")
    assert status == 400 and "allowed" in data["error"]
    status, data = control(legacy, "/_sim/fault?mode=slow&seconds=abc")
    assert status == 400 and "seconds" in data["error"]
    assert control(legacy, "/_sim/nothing", method="GET")[0] == 404
    assert legacy.counters()["fault"]["mode"] == "none"


def test_counters_per_command_and_status(legacy):
    for path in (
        DL,
        DL,
        "/cgi-bin/dl_cgi?Command=CheckFW",
        "/cgi-bin/dl_cgi/supervisor/info",
        "/nothing",
    ):
        request(legacy.http_url, path)
    legacy.set_fault("error500")
    request(legacy.http_url, DL)
    status, counters = control(legacy, "/_sim/counters", method="GET")
    assert status == 200
    assert counters["commands"] == {
        "DeviceList": 3, "CheckFW": 1, "supervisor/info": 1, "other": 1,
    }  # fmt: skip
    assert counters["statuses"] == {"200": 4, "404": 1, "500": 1}
    assert counters["requests"] == 6
    assert counters["concurrency"] == {"current": 0, "peak": 1}
    status, reset = control(legacy, "/_sim/counters/reset")
    assert reset["requests"] == 0 and reset["commands"] == {} and reset["statuses"] == {}
    assert legacy.counters()["requests"] == 0  # control endpoints are not counted


def test_concurrency_current_and_peak(legacy):
    legacy.set_fault("hang", seconds=30)
    outcomes: list[bool] = []
    threads = [threading.Thread(target=dropped, args=(legacy.http_url, outcomes)) for _ in range(3)]
    for thread in threads:
        thread.start()
    wait_for(lambda: legacy.counters()["concurrency"]["current"] == 3)
    assert legacy.counters()["commands"] == {"DeviceList": 3}
    legacy.clear_fault()
    for thread in threads:
        thread.join(10)
    wait_for(lambda: legacy.counters()["concurrency"]["current"] == 0)
    assert legacy.counters()["concurrency"]["peak"] == 3
    assert outcomes == [True] * 3


def test_concurrent_requests_are_served_in_parallel(make_sim):
    sim = make_sim(fault="hang", fault_seconds=30)
    outcomes: list[bool] = []
    threads = [threading.Thread(target=dropped, args=(sim.http_url, outcomes)) for _ in range(8)]
    for thread in threads:
        thread.start()
    wait_for(lambda: sim.counters()["concurrency"]["current"] == 8)  # all 8 inside at once
    sim.clear_fault()
    for thread in threads:
        thread.join(10)
    assert outcomes == [True] * 8
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(request(sim.http_url, DL)[0]))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [200] * 8
