"""A real haproxy in front of the simulator: keep-alive works and JSON gets gzipped.

haproxy compresses only HTTP/1.1 responses with a known length or chunked encoding, so
this fails if the simulator answered HTTP/1.0 or closed instead of sending Content-Length.
"""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from simhttp import connect

from harness.local_haproxy import LocalHaproxy, free_port, haproxy_command

pytestmark = pytest.mark.skipif(
    not shutil.which(haproxy_command()[0]), reason="haproxy not installed"
)


@pytest.fixture
def haproxy(legacy):
    port = free_port()
    backend = legacy.http_url.removeprefix("http://")
    config = (
        "global\n  log stderr local0 warning\n"
        "defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n"
        "  timeout server 30s\n  option http-keep-alive\n"
        f"frontend f\n  bind 127.0.0.1:{port}\n  default_backend b\n"
        "  compression algo gzip\n  compression type application/json text/html\n"
        f"backend b\n  server pvs {backend}\n"
    )
    with LocalHaproxy(config, [("127.0.0.1", port)]):
        yield f"http://127.0.0.1:{port}"


def test_haproxy_gzips_and_keeps_alive(legacy, haproxy):
    conn = connect(haproxy)
    try:
        for _ in range(2):
            conn.request(
                "GET", "/cgi-bin/dl_cgi?Command=DeviceList", headers={"Accept-Encoding": "gzip"}
            )
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200
            assert resp.getheader("Content-Encoding") == "gzip"
            assert resp.getheader("Server") == "lighttpd/1.4.51"
            data = json.loads(gzip.decompress(body))
            assert data["result"] == "succeed"
    finally:
        conn.close()
    counters = legacy.counters()
    assert counters["commands"] == {"DeviceList": 2}
    assert counters["connections"] == 1  # haproxy reused its server connection
