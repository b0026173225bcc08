"""The 2025 API: open supervisor/info, locked dl_cgi, HTTPS login, sessions, /vars."""

from __future__ import annotations

import base64
import json
import os

import pytest
from simhttp import get_json, request

from bridge_cli.simulator import tls

GOOD = base64.b64encode(b"ssm_owner:A0748").decode()


def login(sim, auth: str = f"basic {GOOD}") -> tuple[int, dict, dict]:
    status, headers, body = request(sim.https_url, "/auth?login", headers={"Authorization": auth})
    return status, headers, json.loads(body)


def session_of(sim) -> str:
    status, _, body = login(sim)
    assert status == 200
    return body["session"]


def test_supervisor_info_open_and_reports_build(newfw):
    status, data = get_json(newfw.http_url, "/cgi-bin/dl_cgi/supervisor/info")
    assert status == 200
    assert data["supervisor"]["BUILD"] == 61846
    assert data["supervisor"]["SWVER"].endswith("Build 61846")


@pytest.mark.parametrize("path", ["?Command=DeviceList", "?Command=CheckFW", "/devices/list"])
def test_old_api_locked(newfw, path):
    status, data = get_json(newfw.http_url, "/cgi-bin/dl_cgi" + path)
    assert status == 403
    assert data == {"status": 403, "error": "Unauthorized", "path": ""}


def test_old_api_locked_even_with_session(newfw):
    token = session_of(newfw)
    status, _ = get_json(
        newfw.https_url,
        "/cgi-bin/dl_cgi?Command=DeviceList",
        headers={"Cookie": f"session={token}"},
    )
    assert status == 403


def test_login_sets_secure_httponly_cookie(newfw):
    status, headers, body = login(newfw)
    assert status == 200
    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"session={body['session']};")
    assert "HttpOnly" in cookie and "Secure" in cookie


@pytest.mark.parametrize("scheme", ["basic", "Basic", "BASIC"])
def test_login_scheme_case_insensitive(newfw, scheme):
    assert login(newfw, f"{scheme} {GOOD}")[0] == 200


@pytest.mark.parametrize(
    "auth",
    [
        "basic " + base64.b64encode(b"ssm_owner:a0748").decode(),  # lower case: wrong
        "basic " + base64.b64encode(b"ssm_owner:00000").decode(),
        "basic " + base64.b64encode(b"admin:A0748").decode(),
        "basic !!notbase64",
        "Bearer " + GOOD,
        "",
    ],
)
def test_login_rejects_bad_credentials(newfw, auth):
    status, headers, body = login(newfw, auth)
    assert status == 401 and "Set-Cookie" not in headers
    assert body == {"status": 401, "description": "Unauthorized"}  # fcgi_auth's body


def test_vars_need_session_except_public(newfw):
    status, data = get_json(newfw.https_url, "/vars?name=/sys/info/serialnum")
    assert status == 200 and data["values"][0]["value"] == "ZT214385001823A0748"
    status, data = get_json(newfw.https_url, "/vars?name=/sys/info/ssid,/sys/info/lmac")
    assert status == 200 and data["count"] == 2
    assert data["values"][0]["value"] == "SunPower43748"
    for path in ("/vars?name=/sys/info/uptime", "/vars?match=/sys/info", "/vars?name=/nope"):
        assert get_json(newfw.https_url, path)[0] == 401
    bogus = {"Cookie": "session=deadbeef"}
    assert get_json(newfw.https_url, "/vars?name=/sys/info/uptime", headers=bogus)[0] == 401


def test_vars_get_and_post(newfw):
    cookie = {"Cookie": f"session={session_of(newfw)}"}
    status, data = get_json(
        newfw.https_url, "/vars?name=/sys/info/uptime,/sys/livedata/pv_p", headers=cookie
    )
    assert status == 200 and data["count"] == 2
    assert [v["name"] for v in data["values"]] == ["/sys/info/uptime", "/sys/livedata/pv_p"]
    float(data["values"][0]["value"])
    # POST with the form body pypvs sends (text/plain, not url-encoded)
    status, data = get_json(
        newfw.https_url,
        "/vars",
        method="POST",
        body="match=/sys/devices/inverter/",
        headers=cookie | {"Content-Type": "text/plain; charset=utf-8"},
    )
    assert status == 200
    names = {v["name"] for v in data["values"]}
    assert "/sys/devices/inverter/3/ltea3phsumKwh" in names
    assert data["count"] == 4 * 12


def test_vars_fmt_obj_and_cache(newfw):
    cookie = {"Cookie": f"session={session_of(newfw)}"}
    status, data = get_json(
        newfw.https_url, "/vars?match=/sys/devices/meter/0/&fmt=obj&cache=m0", headers=cookie
    )
    assert status == 200 and data["/sys/devices/meter/0/prodMdlNm"] == "PVS6M0400p"
    status, again = get_json(newfw.https_url, "/vars?cache=m0", headers=cookie)
    assert status == 200 and again["count"] == len(data)
    # fcgi_vars makes an unknown cache on first use, and an empty query lists nothing
    assert get_json(newfw.https_url, "/vars?cache=unknown", headers=cookie) == (
        200,
        {"count": 0, "values": []},
    )
    assert get_json(newfw.https_url, "/vars", headers=cookie)[1]["count"] == 0


def test_vars_set_telemetry(newfw):
    cookie = {"Cookie": f"session={session_of(newfw)}"}
    status, data = get_json(
        newfw.https_url, "/vars", method="POST", body="set=/sys/telemetryws/enable=1",
        headers=cookie,
    )  # fmt: skip
    assert status == 200 and data["values"][0]["value"] == "1"
    _, data = get_json(newfw.https_url, "/vars?name=/sys/telemetryws/enable", headers=cookie)
    assert data["values"][0]["value"] == "1"
    status, _ = get_json(newfw.https_url, "/vars?set=/sys/info/serialnum=X", headers=cookie)
    assert status == 400
    assert get_json(newfw.https_url, "/vars?set=/sys/telemetryws/enable=0")[0] == 401


def test_session_expires_300s_after_login_and_logout(make_sim):
    """No extension by use (sessionmgr's default): used at 299 s, gone at 301 s."""
    sim = make_sim(firmware=61846)
    cookie = {"Cookie": f"session={session_of(sim)}"}
    sim.clock.advance(299)
    assert get_json(sim.https_url, "/vars?name=/sys/info/uptime", headers=cookie)[0] == 200
    sim.clock.advance(2)
    status, body = get_json(sim.https_url, "/vars?name=/sys/info/uptime", headers=cookie)
    assert status == 401 and body["errorcode"] == "0x0012"
    cookie = {"Cookie": f"session={session_of(sim)}"}
    status, _, body = request(sim.https_url, "/auth?logout", headers=cookie)
    assert (status, body) == (204, b"")
    assert get_json(sim.https_url, "/vars?name=/sys/info/uptime", headers=cookie)[0] == 401
    assert request(sim.https_url, "/auth?logout", headers=cookie)[0] == 401


def test_new_api_only_over_https(newfw):
    assert (
        request(newfw.http_url, "/auth?login", headers={"Authorization": f"basic {GOOD}"})[0] == 404
    )
    assert request(newfw.http_url, "/vars?name=/sys/info/serialnum")[0] == 404


def test_legacy_has_no_https_or_ws(legacy):
    assert legacy.https_url is None and legacy.ws_url is None


def test_certificate_cached_with_private_key_0600(newfw, state_dir):
    cert, key = tls.ensure_certificate(state_dir, "ZT214385001823A0748", "127.0.0.1")
    assert cert.is_file() and os.stat(key).st_mode & 0o777 == 0o600
    before = cert.read_bytes()
    again, _ = tls.ensure_certificate(state_dir, "ZT214385001823A0748", "127.0.0.1")
    assert again.read_bytes() == before  # reused, not regenerated


@pytest.mark.parametrize("kind", ["world-writable", "symlink"])
def test_certificate_cache_must_be_a_private_folder(tmp_path, kind):
    """The default cache is in /tmp: a folder others may change is refused, not used."""
    target = tmp_path / "real"
    target.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    if kind == "world-writable":
        state = target
        state.chmod(0o777)
        (state / ".lock").symlink_to(victim)
    else:
        state = tmp_path / "link"
        state.symlink_to(target, target_is_directory=True)
    with pytest.raises(OSError, match="not a private folder"):
        tls.ensure_certificate(state, "ZT214385001823A0748", "127.0.0.1")
    assert victim.read_text() == "keep me\n"
    assert not list(target.glob("pvs-*"))
