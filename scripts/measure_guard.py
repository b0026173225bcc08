#!/usr/bin/env python3
"""Measure the guard's timings on loopback (the role's haproxy.cfg, the host's haproxy, the
PVS simulator): how fast a hung PVS is marked down and answered 503, how fast it comes
back, how long a normal reader waits while :80 holds 300 idle connections, and how long
slowloris connections live. Prints one line per figure (no assertion: the tests assert).

    .venv/bin/python scripts/measure_guard.py
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the harness, from the checkout

from bridge_cli.simulator.server import SimulatorConfig, SimulatorServer  # noqa: E402
from harness.local_haproxy import UNPRIVILEGED_OVERRIDES, LocalHaproxy, free_port  # noqa: E402
from harness.proxy_config import render_haproxy_cfg  # noqa: E402

LOOP = "127.0.0.1"
READ = "/cgi-bin/dl_cgi?Command=Get_Comm"


def get(addr, path, timeout=60.0, source=None):
    conn = http.client.HTTPConnection(
        *addr, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def state(stats) -> str:
    csv = get(stats, "/;csv")[1].decode()
    return next(line for line in csv.splitlines() if line.startswith("pvs_http,pvs,")).split(",")[
        17
    ]


def main() -> None:
    config = SimulatorConfig(latency="none", https_port=None, ws_port=None)
    with SimulatorServer(config) as sim:
        variables = UNPRIVILEGED_OVERRIDES | {
            "bridge_proxy_bind_address": LOOP,
            "bridge_proxy_http_port": free_port(),
            "bridge_proxy_stats_port": free_port(),
            "bridge_proxy_https_port": free_port(),
            "bridge_proxy_ws_port": free_port(),
            "bridge_proxy_pvs_address": LOOP,
            "bridge_proxy_pvs_port": int(sim.http_url.rsplit(":", 1)[1]),
        }
        http_ = (LOOP, variables["bridge_proxy_http_port"])
        stats = (LOOP, variables["bridge_proxy_stats_port"])
        with LocalHaproxy(render_haproxy_cfg(variables), [http_]):
            get(http_, READ)
            while state(stats) != "UP":
                time.sleep(0.1)
            fault = urllib.request.Request(f"{sim.http_url}/_sim/fault?mode=hang", method="POST")
            urllib.request.urlopen(fault).close()
            start = time.monotonic()
            while state(stats) != "DOWN":
                time.sleep(0.1)
            print(f"hung PVS marked down after      {time.monotonic() - start:6.2f} s")
            start = time.monotonic()
            status, _ = get(http_, READ)
            print(f"a read while down: {status} after     {time.monotonic() - start:6.3f} s")
            clear = urllib.request.Request(f"{sim.http_url}/_sim/fault?mode=none", method="POST")
            urllib.request.urlopen(clear).close()
            start = time.monotonic()
            while get(http_, READ)[0] != 200:
                time.sleep(0.05)
            print(f"answering again after           {time.monotonic() - start:6.2f} s")

            socks = []
            for i in range(300):
                with contextlib.suppress(OSError):
                    socks.append(
                        socket.create_connection(
                            http_, 5, source_address=(f"127.0.1.{i % 40 + 1}", 0)
                        )
                    )
            start = time.monotonic()
            get(stats, "/metrics")
            print(f"/metrics with 300 idle on :80   {time.monotonic() - start:6.3f} s")
            start = time.monotonic()
            status, _ = get(http_, READ)
            print(f"reader with 300 idle on :80: {status} {time.monotonic() - start:6.2f} s")
            for s in socks:
                s.close()

            lorises = [
                socket.create_connection(http_, 5, source_address=(f"127.0.2.{i % 10 + 1}", 0))
                for i in range(40)
            ]
            for s in lorises:
                s.sendall(b"GET / HTTP/1.1\r\n")
            start = time.monotonic()
            alive = list(lorises)
            while alive and time.monotonic() - start < 30:
                for s in list(alive):
                    try:
                        s.sendall(b"X-a: b\r\n")  # one header line per 0.5 s
                        s.settimeout(0.01)
                        s.recv(4096)  # the bridge's 408, or b"" once it closed
                        alive.remove(s)
                    except TimeoutError:
                        continue
                    except OSError:
                        alive.remove(s)
                time.sleep(0.5)
            print(f"40 slowloris connections cut in {time.monotonic() - start:6.2f} s")
            for s in lorises:
                s.close()


if __name__ == "__main__":
    main()
