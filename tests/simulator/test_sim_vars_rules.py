"""The 2025 /vars rules as the public fcgi_vars/fcgi_auth code describes them."""

from __future__ import annotations

import base64
import http.client
import ssl
import threading
from urllib.parse import urlsplit

import pytest
from simhttp import get_json, request

GOOD = base64.b64encode(b"ssm_owner:A0748").decode()


def cookie_of(sim) -> dict[str, str]:
    status, headers, _ = request(
        sim.https_url, "/auth?login", headers={"Authorization": f"basic {GOOD}"}
    )
    assert status == 200
    return {"Cookie": headers["Set-Cookie"].split(";")[0]}


def post(sim, body: str, cookie, **kw):
    return get_json(sim.https_url, "/vars", method="POST", body=body, headers=cookie, **kw)


def test_post_form_body_and_limits(newfw):
    cookie = cookie_of(newfw)
    status, data = post(newfw, "name=/sys/info/model,/sys/info/serialnum", cookie)
    assert status == 200 and [v["value"] for v in data["values"]] == ["PVS6", "ZT214385001823A0748"]
    # 1024 bytes is the most fcgi_vars reads; one byte more is refused
    fits = "name=/sys/info/model" + "," * (1024 - 20)
    assert post(newfw, fits, cookie)[0] == 200
    assert post(newfw, fits + ",", cookie) == (
        413,
        {"status": 413, "description": "Invalid Content-Length", "errorcode": "0x1000"},
    )
    # POST answers from the body only: a query string on the URL is not read
    status, data = get_json(newfw.https_url, "/vars?name=/sys/info/model", method="POST",
                            body="name=/sys/info/hwrev", headers=cookie)  # fmt: skip
    assert [v["name"] for v in data["values"]] == ["/sys/info/hwrev"]


def test_post_without_content_length_is_413(newfw):
    cookie = cookie_of(newfw)
    parts = urlsplit(newfw.https_url)
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=5, context=ctx)
    try:  # a chunked body has no Content-Length
        conn.request("POST", "/vars", body=iter([b"name=/sys/info/model"]), headers=cookie,
                     encode_chunked=True)  # fmt: skip
        resp = conn.getresponse()
        assert resp.status == 413 and b'"errorcode": "0x0800"' in resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_405(newfw, method):
    status, _, body = request(newfw.https_url, "/vars?name=/sys/info/model", method=method,
                              headers=cookie_of(newfw))  # fmt: skip
    assert status == 405 and b'"errorcode": "0x2000"' in body


@pytest.mark.parametrize(
    ("fmt", "is_object"),
    [("obj", True), ("o", True), ("OBJECT", True), ("list", False), ("l", False), ("x", False)],
)
def test_fmt_judged_by_first_letter(newfw, fmt, is_object):
    status, data = get_json(newfw.https_url, f"/vars?name=/sys/info/model&fmt={fmt}",
                            headers=cookie_of(newfw))  # fmt: skip
    assert status == 200
    assert (data == {"/sys/info/model": "PVS6"}) is is_object
    assert ("values" in data) is not is_object


def test_match_is_a_case_insensitive_substring(newfw):
    cookie = cookie_of(newfw)
    _, lower = get_json(newfw.https_url, "/vars?match=devices/inverter/", headers=cookie)
    _, upper = get_json(newfw.https_url, "/vars?match=DEVICES/Inverter/", headers=cookie)
    assert lower["count"] == upper["count"] == 4 * 12
    _, inner = get_json(newfw.https_url, "/vars?match=3phsumkw", headers=cookie)
    names = {v["name"] for v in inner["values"]}
    assert (
        "/sys/devices/inverter/0/p3phsumKw" in names and "/sys/devices/meter/0/p3phsumKw" in names
    )


def test_name_list_and_unknown_name(newfw):
    cookie = cookie_of(newfw)
    status, data = get_json(newfw.https_url, "/vars?name=/sys/info/hwrev,/sys/info/model",
                            headers=cookie)  # fmt: skip
    assert [v["name"] for v in data["values"]] == ["/sys/info/hwrev", "/sys/info/model"]
    assert get_json(newfw.https_url, "/vars?name=/sys/info/model,/sys/no/such", headers=cookie) == (
        400,
        {"status": 400, "description": "Bad request", "errorcode": "0x0100"},
    )


def test_set_list_and_partial_failure(make_sim):
    sim = make_sim(firmware=61846, ess=True)
    cookie = cookie_of(sim)
    mode, soc = (
        "/ess/config/dcm/mode_param/control_mode",
        "/ess/config/dcm/control_param/min_customer_soc",
    )
    status, data = get_json(sim.https_url, f"/vars?set={mode}=SELF_CONSUMPTION,{soc}=0.5",
                            headers=cookie)  # fmt: skip
    assert status == 200 and {v["name"]: v["value"] for v in data["values"]} == {
        mode: "SELF_CONSUMPTION", soc: "0.5"}  # fmt: skip
    # one read-only target: 400, the writable one is still written (fcgi_vars ProcessSetRequest)
    status, _ = post(sim, "set=/sys/telemetryws/enable=1,/sys/info/serialnum=X", cookie)
    assert status == 400
    assert sim.model.writable["/sys/telemetryws/enable"] == "1"
    assert sim.model.serial == "ZT214385001823A0748"
    status, body = get_json(sim.https_url, f"/vars?set={mode}=BACKUP")
    assert (status, body["errorcode"]) == (401, "0x0011")
    assert sim.model.writable[mode] == "SELF_CONSUMPTION"


def test_auth_query_must_be_exact(newfw):
    assert get_json(newfw.https_url, "/auth?whoami") == (
        400, {"status": 400, "description": "Bad request"})  # fmt: skip


def test_pvs5_rejects_telemetry_switch_and_has_no_9002(make_sim):
    sim = make_sim(firmware=5408, pvs_model="PVS5")
    assert sim.ws_url is None and "ws" not in sim.ports
    status, info = get_json(sim.http_url, "/cgi-bin/dl_cgi/supervisor/info")
    sup = info["supervisor"]
    assert status == 200 and sup["MODEL"] == "PVS5" and "BUILD" not in sup
    assert sup["SWVER"] == "2025.09, Build 5408"
    cookie = cookie_of(sim)
    assert post(sim, "set=/sys/telemetryws/enable=1", cookie)[0] == 400
    _, data = get_json(sim.https_url, "/vars?name=/sys/info/model", headers=cookie)
    assert data["values"][0]["value"] == "PVS5"


def test_pvs6_supervisor_info_2025(newfw):
    _, info = get_json(newfw.http_url, "/cgi-bin/dl_cgi/supervisor/info")
    assert info["supervisor"]["SWVER"] == "2025.09, Build 61846"
    assert info["supervisor"]["BUILD"] == 61846


def test_fault_hang_missing_variable(make_sim):
    sim = make_sim(firmware=61846)
    cookie = cookie_of(sim)
    sim.set_fault("hang_missing", seconds=60)
    # a known variable still answers at once
    assert get_json(sim.https_url, "/vars?name=/sys/info/model", headers=cookie)[0] == 200
    outcome: dict = {}

    def ask():
        try:
            outcome["status"] = request(sim.https_url, "/vars?name=/sys/nope", headers=cookie,
                                        timeout=30)[0]  # fmt: skip
        except (OSError, http.client.HTTPException) as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=ask)
    thread.start()
    # it hangs: in flight at the "PVS" and unanswered, until the fault is cleared
    for _ in range(200):
        if sim.counters()["concurrency"]["current"] == 1:
            break
        threading.Event().wait(0.02)
    assert sim.counters()["concurrency"]["current"] == 1 and not outcome
    sim.clear_fault()
    thread.join(10)
    assert "status" not in outcome  # dropped without an answer
    assert sim.counters()["statuses"].get("0") == 1
