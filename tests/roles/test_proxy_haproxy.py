"""The bridge_proxy role's haproxy.cfg behind the host's real haproxy, on loopback.

Every test renders the role's template (harness.proxy_config), starts haproxy in the
foreground in front of a local HTTP/1.1 stand-in for the PVS and speaks real HTTP to it.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
from roles_haproxy import (
    HAPROXY,
    LOOPBACK,
    RunningHaproxy,
    check_config,
    free_port,
    loopback_overrides,
)
from roles_pvs_standin import PvsStandIn

from bridge_cli.bridge_tls import make_self_signed
from harness.local_haproxy import LocalHaproxy
from harness.proxy_config import render_guide_haproxy_cfg, render_haproxy_cfg, role_defaults

pytestmark = pytest.mark.skipif(
    not (shutil.which("haproxy") or os.path.exists(HAPROXY)), reason="haproxy not installed"
)

GUARD_HEADER = "X-PVS-Bridge-Guard"


def request(addr, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection(*addr, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


@pytest.fixture
def pvs():
    with PvsStandIn() as server:
        yield server


@pytest.fixture
def proxy(tmp_path, pvs):
    """haproxy with the role defaults (only addresses and ports moved to loopback)."""
    with RunningHaproxy(tmp_path, loopback_overrides(pvs.port)) as running:
        yield running


# --- read-only guard ------------------------------------------------------------------

READS = [
    ("GET", "/cgi-bin/dl_cgi?Command=DeviceList"),
    ("HEAD", "/cgi-bin/dl_cgi?Command=DeviceList"),
    ("GET", "/cgi-bin/dl_cgi?Command=Get_Comm"),
    ("GET", "/cgi-bin/dl_cgi?Command=GetCellPurchased"),
    ("GET", "/cgi-bin/dl_cgi?Command=GetDiscoveryProgress"),
    ("GET", "/cgi-bin/dl_cgi/supervisor/info"),
    ("GET", "/cgi-bin/dl_cgi/devices/list"),
    ("GET", "/"),
    ("GET", "/?"),
    ("GET", "/index.html"),
    ("GET", "/index.html?v=2"),
    # A %-encoded read on the new API's path decodes to no write: it passes.
    ("GET", "/vars?name=%2Fsys%2Finfo%2Fserialnum"),
]

WRITES = [
    ("GET", "/cgi-bin/dl_cgi?Command=SetCellPurchased"),
    ("GET", "/cgi-bin/dl_cgi?command=setcellpurchased"),
    ("GET", "/cgi-bin/dl_cgi?COMMAND=SETCELLPURCHASED"),
    # The PVS reads Command= case-sensitively: anything else is not a read it knows.
    ("GET", "/cgi-bin/dl_cgi?command=DeviceList"),
    ("GET", "/cgi-bin/dl_cgi?Command=devicelist"),
    ("GET", "/cgi-bin/dl_cgi/devices/list?Command=SetCellPurchased"),
    ("GET", "/cgi-bin/dl_cgi/supervisor/info?x=1"),
    ("GET", "/cgi-bin/dl_cgi?Command=GridProfileRefresh"),
    ("GET", "/cgi-bin/dl_cgi?Command=DeviceList&Command=SetCellPurchased"),
    ("GET", "/cgi-bin/dl_cgi?Command=DeviceList&command=SetCellPurchased"),
    ("GET", "/cgi-bin/dl_cgi?Command=DeviceList;Command=SetCellPurchased"),
    ("GET", "/cgi-bin/dl_cgi?Command=SetCell%50urchased"),
    ("GET", "/cgi-bin/dl_cgi?C%6fmmand=SetCellPurchased"),
    ("GET", "/cgi-bin/dl_cgi?Command=DeviceList%26Command%3DSetCellPurchased"),
    ("GET", "/cgi-bin/dl_cgi?x=1&Command=SetCellPurchased"),
    ("GET", "/cgi-bin/dl_cgi"),
    ("GET", "/cgi-bin//dl_cgi?Command=SetCellPurchased"),
    ("GET", "/cgi-bin/%64l_cgi?Command=SetCellPurchased"),
    ("GET", "/cgi-bin/./dl_cgi?Command=SetCellPurchased"),
    ("GET", "/CGI-BIN/dl_cgi?Command=SetCellPurchased"),
    ("GET", "/cgi-bin/firmware_update"),
    ("GET", "/vars?set=/sys/foo=1"),
    ("GET", "/vars?SET=/sys/foo=1"),
    ("GET", "/vars?%73et=/sys/foo=1"),
    ("GET", "/vars?name=a&%53%45T=1"),
    ("GET", "/vars?%73et=1&x=%zz"),
    ("GET", "/vars;set=1"),
    ("GET", "/cgi-bin/dl_cgi;x?Command=DeviceList"),
    ("GET", "/cgi-bin/dl_cgi?Command=DeviceList&Command.=SetCellPurchased"),
    ("GET", "/cgi-bin/dl_cgi?Command=DeviceList&Command%00=SetCellPurchased"),
    ("POST", "/cgi-bin/dl_cgi?Command=DeviceList"),
    ("POST", "/cgi-bin/dl_cgi/firmware"),
    ("PUT", "/cgi-bin/dl_cgi/supervisor/info"),
    ("DELETE", "/index.html"),
    ("PATCH", "/"),
]


@pytest.mark.parametrize(("method", "path"), READS)
def test_guard_lets_reads_through(proxy, pvs, method, path):
    status, _, _ = request(proxy.http, method, path)
    assert status == 200
    assert pvs.commands_seen() == [path]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_guard_refuses_writes_by_default(proxy, pvs, method, path):
    body = b"x=1" if method in ("POST", "PUT", "PATCH") else None
    status, headers, data = request(proxy.http, method, path, body=body)
    assert status == 403
    assert headers.get(GUARD_HEADER.lower()) == "read-only"
    assert b"bridge_proxy_allow_writes: true" in data
    assert pvs.requests == []


def test_method_override_headers_do_not_reach_the_pvs(proxy, pvs):
    headers = {
        "X-HTTP-Method-Override": "POST",
        "X-HTTP-Method": "PUT",
        "X-Method-Override": "DELETE",
    }
    assert request(proxy.http, "GET", "/index.html", headers)[0] == 200
    assert pvs.requests == [("GET", "/index.html")]
    assert not {"x-http-method-override", "x-http-method", "x-method-override"} & set(
        pvs.headers[0]
    )


def test_role_default_is_read_only():
    assert role_defaults()["bridge_proxy_allow_writes"] is False


@pytest.mark.parametrize("value", ["false", "no", "False", "0"])
def test_writes_stay_refused_when_allow_writes_is_a_false_string(tmp_path, pvs, value):
    """`-e bridge_proxy_allow_writes=false` or a quoted "no" in YAML is a string: the role
    must read it as false (Ansible's bool), never as a truthy string that drops the guard."""
    variables = loopback_overrides(pvs.port) | {"bridge_proxy_allow_writes": value}
    with RunningHaproxy(tmp_path, variables) as proxy:
        status, _, _ = request(proxy.http, "GET", "/cgi-bin/dl_cgi?Command=SetCellPurchased")
    assert status == 403
    assert pvs.requests == []


def test_allow_writes_lets_writes_through(tmp_path, pvs):
    variables = loopback_overrides(pvs.port) | {"bridge_proxy_allow_writes": True}
    with RunningHaproxy(tmp_path, variables) as proxy:
        status, headers, _ = request(
            proxy.http, "POST", "/cgi-bin/dl_cgi?Command=SetCellPurchased", body=b"a=1"
        )
    assert status == 200
    assert GUARD_HEADER.lower() not in headers
    assert pvs.requests == [("POST", "/cgi-bin/dl_cgi?Command=SetCellPurchased")]


# --- compression ------------------------------------------------------------------------


def test_gzip_when_the_client_asks(proxy):
    status, headers, data = request(
        proxy.http,
        "GET",
        "/cgi-bin/dl_cgi?Command=Get_Comm",
        headers={"Accept-Encoding": "gzip"},
    )
    assert status == 200
    assert headers.get("content-encoding") == "gzip"
    assert b'"pad"' in gzip.decompress(data)


def test_no_gzip_when_the_client_does_not_ask(proxy):
    status, headers, data = request(proxy.http, "GET", "/cgi-bin/dl_cgi?Command=Get_Comm")
    assert status == 200
    assert "content-encoding" not in headers
    assert data.startswith(b"{")


# --- protection of the PVS: one request at a time, queue ------------------------------


def test_one_request_at_a_time_reaches_the_pvs(tmp_path):
    def get(i):
        return request(proxy.http, "GET", f"/cgi-bin/dl_cgi?Command=Get_Comm&i={i}")[0]

    with (
        PvsStandIn(delay=0.3) as pvs,
        RunningHaproxy(tmp_path, loopback_overrides(pvs.port)) as proxy,
        ThreadPoolExecutor(max_workers=6) as pool,
    ):
        statuses = list(pool.map(get, range(6)))
    assert statuses == [200] * 6
    assert len(pvs.requests) == 6
    assert pvs.peak == 1


def test_without_maxconn_the_pvs_sees_parallel_requests(tmp_path):
    """The counter-check: the stand-in does measure concurrency above 1."""
    with PvsStandIn(delay=0.3) as pvs:
        variables = loopback_overrides(pvs.port) | {"bridge_proxy_server_maxconn": 10}
        with RunningHaproxy(tmp_path, variables) as proxy, ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: request(proxy.http, "GET", f"/?i={i}"), range(4)))
    assert pvs.peak > 1


# --- cache ------------------------------------------------------------------------------


def test_cache_serves_repeated_reads_from_one_pvs_request(proxy, pvs):
    path = "/cgi-bin/dl_cgi?Command=DeviceList"
    first = request(proxy.http, "GET", path)
    second = request(proxy.http, "GET", path, headers={"Cache-Control": "no-cache"})
    third = request(proxy.http, "GET", path, headers={"Pragma": "no-cache"})
    assert [r[0] for r in (first, second, third)] == [200, 200, 200]
    assert first[2] == second[2] == third[2]
    assert pvs.commands_seen() == [path]
    assert first[1]["cache-control"] == f"max-age={role_defaults()['bridge_proxy_cache_ttl']}"


def test_clients_naming_the_bridge_differently_share_one_cache_entry(proxy, pvs):
    """haproxy keys its cache on Host + URI; the bridge makes Host the PVS's for cached
    reads, so pollers using the address, <hostname>.local or a port still cost one request."""
    path = "/cgi-bin/dl_cgi?Command=DeviceList"
    for host in ("192.0.2.10", "pvs-bridge.local", "pvs-bridge", "192.0.2.10:80"):
        assert request(proxy.http, "GET", path, headers={"Host": host})[0] == 200
    assert pvs.commands_seen() == [path]
    assert pvs.headers[0]["host"] == f"127.0.0.1:{pvs.port}"


def test_concurrent_cache_misses_cost_the_pvs_one_request(tmp_path):
    """Ten pollers ask at once with an empty cache while the PVS takes 0.5 s: haproxy's
    cache alone cannot merge concurrent misses, so the queue sends them on one at a time
    and each looks in the cache again: the PVS scans once, every poller gets the answer."""
    path = "/cgi-bin/dl_cgi?Command=DeviceList"
    with (
        PvsStandIn(delay=0.5) as pvs,
        RunningHaproxy(tmp_path, loopback_overrides(pvs.port)) as proxy,
        ThreadPoolExecutor(max_workers=10) as pool,
    ):
        answers = list(pool.map(lambda _: request(proxy.http, "GET", path), range(10)))
    assert [a[0] for a in answers] == [200] * 10
    assert len({a[2] for a in answers}) == 1
    assert pvs.commands_seen() == [path]


def test_cache_and_gzip_give_each_client_what_it_asked_for(proxy, pvs):
    path = "/cgi-bin/dl_cgi?Command=DeviceList"
    _, zipped_headers, zipped = request(
        proxy.http, "GET", path, headers={"Accept-Encoding": "gzip"}
    )
    _, plain_headers, plain = request(proxy.http, "GET", path)
    _, again_headers, again = request(proxy.http, "GET", path, headers={"Accept-Encoding": "gzip"})
    assert zipped_headers.get("content-encoding") == "gzip"
    assert "content-encoding" not in plain_headers
    assert again_headers.get("content-encoding") == "gzip"
    assert gzip.decompress(zipped) == plain == gzip.decompress(again)
    assert len(pvs.requests) == 1


def test_non_cacheable_reads_always_reach_the_pvs(proxy, pvs):
    for _ in range(3):
        assert request(proxy.http, "GET", "/cgi-bin/dl_cgi?Command=Get_Comm")[0] == 200
    assert len(pvs.requests) == 3


def test_cache_off_sends_every_request_to_the_pvs(tmp_path, pvs):
    variables = loopback_overrides(pvs.port) | {"bridge_proxy_cache": False}
    with RunningHaproxy(tmp_path, variables) as proxy:
        for _ in range(3):
            status, headers, _ = request(proxy.http, "GET", "/cgi-bin/dl_cgi?Command=DeviceList")
            assert status == 200
            assert headers["cache-control"] == "no-cache"
    assert len(pvs.requests) == 3



def test_cache_left_out_where_it_cannot_run_sends_every_request_to_the_pvs(tmp_path, pvs):
    """The role found that haproxy may not make unaligned loads here (32-bit ARM without
    the kernel's alignment fixup, tasks/main.yml): no cache, every read reaches the PVS."""
    variables = loopback_overrides(pvs.port) | {"__bridge_proxy_unaligned_ok": False}
    with RunningHaproxy(tmp_path, variables) as proxy:
        for _ in range(2):
            status, headers, _ = request(proxy.http, "GET", "/cgi-bin/dl_cgi?Command=DeviceList")
            assert status == 200
            assert headers["cache-control"] == "no-cache"
        config = proxy.rendered.read_text()
    assert len(pvs.requests) == 2
    assert "filter cache" not in config and "cache-use" not in config

# --- stats, Prometheus ------------------------------------------------------------------


def test_stats_page_is_read_only_and_hides_the_version(proxy):
    status, _, page = request(proxy.stats, "GET", "/")
    assert status == 200
    assert b"Statistics Report" in page
    assert b"pvs_http" in page
    assert b"2.6." not in page and b"version" not in page.lower().split(b"<body")[-1][:2000]
    csv_status, _, csv = request(proxy.stats, "GET", "/;csv")
    assert csv_status == 200 and b"pvs_http,pvs," in csv
    # "stats admin" would accept a POST with an action; the bridge refuses it.
    status, _, _ = request(proxy.stats, "POST", "/", body=b"s=pvs&action=maint&b=%233")
    assert status == 403


def test_prometheus_metrics_without_the_version(proxy):
    status, headers, body = request(proxy.stats, "GET", "/metrics")
    assert status == 200
    assert b'proxy="pvs_http"' in body
    version = LocalHaproxy("", []).version().split()[2]  # "HAProxy version 2.6.12-1 ..."
    assert version.encode() not in body
    assert b"build_info" not in body
    # A client asking for the global scope itself does not get it either.
    assert b"build_info" not in request(proxy.stats, "GET", "/metrics?scope=global")[2]



def test_metrics_left_out_where_haproxy_may_not_make_unaligned_loads(tmp_path, pvs):
    """/metrics is served after a set-query (the request line rewritten), which faults on
    32-bit ARM without the kernel's alignment fixup: the role leaves it out there (the path
    falls to the stats page, whose URI is /); the stats page stays."""
    variables = loopback_overrides(pvs.port) | {"__bridge_proxy_unaligned_ok": False}
    with RunningHaproxy(tmp_path, variables) as proxy:
        metrics = request(proxy.stats, "GET", "/metrics")[2]
        stats = request(proxy.stats, "GET", "/;csv")[2]
        config = proxy.rendered.read_text()
    assert b"haproxy_frontend_current_sessions" not in metrics
    assert b"pvs_http," in stats
    assert "set-query" not in config and "prometheus-exporter" not in config

def test_stats_auth_when_configured(tmp_path, pvs):
    variables = loopback_overrides(pvs.port) | {
        "bridge_proxy_stats_user": "viewer",
        "bridge_proxy_stats_password": "correct horse",
    }
    with RunningHaproxy(tmp_path, variables) as proxy:
        assert request(proxy.stats, "GET", "/")[0] == 401
        assert request(proxy.stats, "GET", "/metrics")[0] == 401
        token = base64.b64encode(b"viewer:correct horse").decode()
        assert request(proxy.stats, "GET", "/", {"Authorization": f"Basic {token}"})[0] == 200
    assert "correct horse" not in proxy.rendered.read_text()


# --- robustness -------------------------------------------------------------------------


def test_starts_and_answers_503_while_the_pvs_is_down(tmp_path):
    closed_port = free_port()  # nothing listens there
    with RunningHaproxy(tmp_path, loopback_overrides(closed_port)) as proxy:
        status, _, body = request(proxy.http, "GET", "/cgi-bin/dl_cgi?Command=DeviceList")
        assert status == 503
        assert proxy.alive()
        assert request(proxy.stats, "GET", "/")[0] == 200


def test_starts_when_the_pvs_name_does_not_resolve(tmp_path):
    variables = loopback_overrides(free_port()) | {"bridge_proxy_pvs_address": "pvs.invalid"}
    with RunningHaproxy(tmp_path, variables) as proxy:
        assert request(proxy.http, "GET", "/")[0] == 503
        assert proxy.alive()


VARIANTS = {
    "defaults": {},
    "writes allowed": {"bridge_proxy_allow_writes": True},
    "cache off": {"bridge_proxy_cache": False},
    "compression off": {"bridge_proxy_compression": False},
    "passthrough off": {
        "bridge_proxy_https_passthrough": False,
        "bridge_proxy_ws_passthrough": False,
    },
    "auth on": {"bridge_proxy_stats_user": "u", "bridge_proxy_stats_password": "p4ssword"},
    "stats off": {"bridge_proxy_stats": False},
    "prometheus off": {"bridge_proxy_prometheus": False},
    "no health check": {"bridge_proxy_health_check": False},
}


@pytest.mark.parametrize("overrides", VARIANTS.values(), ids=VARIANTS.keys())
def test_haproxy_validates_every_variant(tmp_path, overrides):
    variables = loopback_overrides(80) | overrides
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render_haproxy_cfg(variables))
    result = check_config(cfg)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ALERT]" not in result.stderr


def test_production_defaults_validate_as_the_role_renders_them(tmp_path):
    cfg = tmp_path / "haproxy.cfg"
    # The TLS files the role makes on the Pi (bridge certificate, PVS pin), here in tmp.
    make_self_signed(tmp_path / "bridge.pem", "pvs-bridge", ["127.0.0.1"])
    make_self_signed(tmp_path / "pvs-pinned.pem", "pvs", ["127.0.0.1"])
    text = render_haproxy_cfg({"bridge_proxy_tls_dir": str(tmp_path)})
    cfg.write_text(text)
    assert text.startswith("#\n# Ansible managed\n#\n")
    directives = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    assert not any(line.startswith("stats admin") for line in directives)
    assert "bind :80" in text and "server pvs 172.27.153.1:80 maxconn 1" in text
    result = check_config(cfg)
    assert result.returncode == 0, result.stderr


def test_passthrough_listeners_forward_tcp(tmp_path, pvs):
    """443/9002 pass-through: plain TCP, so an HTTP request to the listener reaches the
    stand-in untouched (the real PVS speaks TLS there)."""
    variables = loopback_overrides(pvs.port) | {
        "bridge_proxy_pvs_https_port": pvs.port,
        "bridge_proxy_pvs_ws_port": pvs.port,
    }
    with RunningHaproxy(tmp_path, variables):
        for port_var in ("bridge_proxy_https_port", "bridge_proxy_ws_port"):
            status, _, _ = request(
                (LOOPBACK, variables[port_var]), "POST", "/vars?set=x", body=b"1"
            )
            assert status == 200
    assert pvs.requests == [("POST", "/vars?set=x")] * 2


@pytest.mark.parametrize(
    "switch", ["bridge_proxy_https_passthrough", "bridge_proxy_ws_passthrough"]
)
def test_a_passthrough_switched_off_does_not_listen(tmp_path, pvs, switch):
    port_var = {"bridge_proxy_https_passthrough": "bridge_proxy_https_port",
                "bridge_proxy_ws_passthrough": "bridge_proxy_ws_port"}[switch]  # fmt: skip
    other = ({"bridge_proxy_https_port", "bridge_proxy_ws_port"} - {port_var}).pop()
    variables = loopback_overrides(pvs.port) | {
        switch: False,
        "bridge_proxy_pvs_https_port": pvs.port,
        "bridge_proxy_pvs_ws_port": pvs.port,
    }
    with RunningHaproxy(tmp_path, variables) as proxy:
        with pytest.raises(ConnectionRefusedError):
            request((LOOPBACK, variables[port_var]), "GET", "/")
        assert request((LOOPBACK, variables[other]), "GET", "/")[0] == 200
        assert request(proxy.http, "GET", "/")[0] == 200


def test_guide_config_is_valid_and_unprotected(tmp_path, pvs):
    """The guide's original config, for the benchmark comparison: it forwards writes."""
    port = free_port()
    cfg = tmp_path / "guide.cfg"
    cfg.write_text(
        render_guide_haproxy_cfg(
            bind_address=LOOPBACK,
            http_port=port,
            stats_port=free_port(),
            pvs_address=LOOPBACK,
            pvs_port=pvs.port,
            log_target="",
            chroot="",
            stats_socket="",
            user="",
        )
    )
    assert check_config(cfg).returncode == 0
    with LocalHaproxy(cfg.read_text(), [(LOOPBACK, port)]):
        status, _, _ = request((LOOPBACK, port), "GET", "/cgi-bin/dl_cgi?Command=SetCellPurchased")
        assert status == 200
