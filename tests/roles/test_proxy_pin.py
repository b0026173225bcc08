"""Pinning the PVS's certificate on its first presentation (trust on first use), on loopback.

The role's script (roles/bridge_proxy/files/pvs-bridge-pin) and the role's real haproxy
configuration, run by the host's haproxy in master-worker mode as systemd runs it, in front
of the simulator. The PVS runs legacy firmware first (no HTTPS): haproxy's ca-file is the
placeholder, which haproxy loads and which trusts nothing. The PVS is updated to the 2025
firmware: its certificate is still refused until the script pins it; then haproxy is
reloaded the way `systemctl reload haproxy` does (SIGUSR2 to the master) while a request is
in flight, which still gets the PVS's answer; :443 serves. The PVS then comes back with
another certificate: the script keeps the pin, :443 refuses the PVS and says how to re-pin.
The lab test (tests/lab/test_pin_first_use.py) does the same with the timer on a real bridge.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from roles_haproxy import HAPROXY, LOOPBACK, loopback_overrides

from bridge_cli import bridge_tls
from bridge_cli.provision import PROJECT_ROOT
from bridge_cli.simulator.server import SimulatorConfig, SimulatorServer
from harness.local_haproxy import LocalHaproxy, free_port
from harness.proxy_config import render_haproxy_cfg

pytestmark = [
    pytest.mark.skipif(
        not (shutil.which("haproxy") or os.path.exists(HAPROXY)), reason="haproxy not installed"
    ),
    pytest.mark.skipif(not shutil.which("openssl"), reason="openssl not installed"),
]

SCRIPT = PROJECT_ROOT / "roles" / "bridge_proxy" / "files" / "pvs-bridge-pin"
NEW_FIRMWARE = 61845
GET_COMM = "/cgi-bin/dl_cgi?Command=Get_Comm"  # never cached by the bridge


def pin(tls: Path, pvs_https_port: int, tmp: Path, *extra: str, env: dict | None = None) -> dict:
    """One look, as pvs-bridge-pin.service makes it (its reload and timer aside, unless
    EXTRA has --service: then ENV gives the `systemctl` it calls)."""
    proc = subprocess.run(
        [str(SCRIPT), "--dir", str(tls), "--pvs", f"{LOOPBACK}:{pvs_https_port}",
         "--fact", str(tmp / "facts.d" / "bridge_proxy_pin.fact"), "--placeholder", *extra],
        capture_output=True, text=True, timeout=90,
        env=os.environ | {"TMPDIR": str(tmp)} | (env or {}),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return dict(word.partition("=")[::2] for word in proc.stdout.split())


def tls_folder(tmp: Path) -> Path:
    """The bridge's TLS folder as tls.yml leaves it: 0700, the bridge's own certificate."""
    tls = tmp / "tls"
    tls.mkdir(mode=0o700)
    bridge_tls.make_self_signed(tls / "bridge.pem", "pvs-bridge", [LOOPBACK])
    return tls


def terminating_bridge(sim: SimulatorServer, tls: Path, **more) -> tuple[LocalHaproxy, dict]:
    """The role's haproxy terminating :443 in front of SIM, master-worker (-Ws) as systemd
    runs it, with the placeholder or pin in TLS; and its variables."""
    variables = loopback_overrides(int(sim.http_url.rsplit(":", 1)[1])) | {
        "bridge_proxy_https_mode": "terminate",
        "bridge_proxy_pvs_https_port": sim.config.https_port,
        "bridge_proxy_tls_dir": str(tls),
        "__bridge_proxy_pvs_pinned": True,  # what tls.yml notes for the placeholder
        **more,
    }
    listen = [(LOOPBACK, variables["bridge_proxy_http_port"])]
    return LocalHaproxy(render_haproxy_cfg(variables), listen, mode="-Ws"), variables


def get(port: int, path: str, context: ssl.SSLContext | None = None):
    conn = (
        http.client.HTTPSConnection(LOOPBACK, port, context=context, timeout=20)
        if context
        else http.client.HTTPConnection(LOOPBACK, port, timeout=20)
    )
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def until(what, done, limit: float = 60.0):
    """Ask `what()` until `done(result)`; the last result (a bounded wait, not a timing)."""
    deadline = time.monotonic() + limit
    while True:
        result = what()
        if done(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def reload(haproxy: LocalHaproxy) -> None:
    """What the Debian unit's ExecReload does after its config check: SIGUSR2 to the master
    (-Ws): new workers with the files as they are now; the old ones finish their requests."""
    os.kill(haproxy.pid, signal.SIGUSR2)


@pytest.fixture
def sim():
    config = SimulatorConfig(latency="none", https_port=free_port(), ws_port=None)
    with SimulatorServer(config) as s:  # legacy firmware: no HTTPS yet
        yield s


def test_first_presentation_pinned_reloaded_gracefully_and_a_change_refused(tmp_path, sim):
    tls = tls_folder(tmp_path)
    pvs_https = sim.config.https_port
    client = ssl.create_default_context(cafile=str(tls / "bridge.pem"))

    # Provisioned on legacy firmware: nothing presented, the placeholder stands in.
    assert pin(tls, pvs_https, tmp_path) == {"state": "waiting", "changed": "yes", "sha256": ""}
    placeholder = (tls / "pvs-pinned.pem").read_text()
    assert placeholder == (tls / "pvs-placeholder.pem").read_text()
    assert pin(tls, pvs_https, tmp_path)["changed"] == "no"

    haproxy, variables = terminating_bridge(sim, tls)
    https = variables["bridge_proxy_https_port"]
    http_port = variables["bridge_proxy_http_port"]
    with haproxy:
        # The firmware update: the PVS now presents a certificate; the placeholder trusts
        # nothing, so not a byte of the PVS's HTTPS API is served before it is pinned.
        sim.set_firmware(NEW_FIRMWARE, seconds=0.2)
        until(lambda: booted(sim), bool, 30)
        status, _, _ = get(https, "/vars?name=/sys/info/serialnum", client)
        assert status == 503

        # The timer's look: pinned (0644, the fingerprint recorded), then the reload while
        # a request is in flight (the PVS answers it 2 s late).
        looked = pin(tls, pvs_https, tmp_path)
        presented = bridge_tls.presented_certificate(LOOPBACK, pvs_https)
        assert looked["state"] == "pinned" and looked["changed"] == "yes"
        assert (tls / "pvs-pinned.pem").read_text().strip() == presented.strip()
        assert not (tls / "pvs-placeholder.pem").exists()
        record = json.loads((tmp_path / "facts.d" / "bridge_proxy_pin.fact").read_text())
        assert record["pvs_pin_sha256"] == looked["sha256"]
        sim.set_fault("slow", seconds=2)
        asked = get_comm_count(sim)
        with ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(get, http_port, GET_COMM)
            until(lambda: get_comm_count(sim) > asked, bool, 10)  # at the PVS, 2 s to go
            reload(haproxy)
            status, headers, _ = in_flight.result()
        assert status in (200, 403) and "x-pvs-bridge-pvs" not in headers  # the PVS's answer
        sim.set_fault("none")
        status, _, body = until(
            lambda: get(https, "/vars?name=/sys/info/serialnum", client), lambda r: r[0] != 503
        )
        assert status in (200, 401), body  # the PVS itself answers (401: not logged in)

        # The PVS comes back with another certificate: never pinned by itself.
        sim.set_firmware(NEW_FIRMWARE, seconds=0.2, new_certificate=True)
        until(lambda: booted(sim), bool, 30)
        other = until(lambda: _presented(pvs_https), lambda c: c not in ("", presented))
        assert other not in ("", presented)
        kept = pin(tls, pvs_https, tmp_path)
        assert kept == {"state": "pinned", "changed": "no", "sha256": looked["sha256"]}
        assert (tls / "pvs-pinned.pem").read_text().strip() == presented.strip()
        reload(haproxy)
        status, headers, body = until(
            lambda: get(https, "/vars?name=/sys/info/serialnum", client),
            lambda r: r[1].get("x-pvs-bridge-pvs") == "down",
        )
        assert status == 503 and headers.get("x-pvs-bridge-pvs") == "down", body
        assert b"not the one pinned" in body and b"-e bridge_proxy_pvs_repin=true" in body

        # Asked for (bridge_proxy_pvs_repin=true): the new one is pinned.
        repinned = pin(tls, pvs_https, tmp_path, "--repin")
        assert repinned["changed"] == "yes" and repinned["sha256"] != looked["sha256"]


def booted(sim: SimulatorServer) -> bool:
    return sim.faults.current.mode == "none" and sim.https_url is not None


def get_comm_count(sim: SimulatorServer) -> int:
    return sim.counters()["commands"].get("Get_Comm", 0)


def _presented(port: int) -> str:
    try:
        return bridge_tls.presented_certificate(LOOPBACK, port)
    except OSError:
        return ""


def test_the_timer_reloads_only_when_nothing_is_at_the_pvs(tmp_path, sim):
    """In service mode the script reloads haproxy (here a `systemctl` stand-in that does
    what the unit's ExecReload does: SIGUSR2 to the master). New workers start beside the
    old ones and check the PVS at once: had the old ones still held a request at the PVS,
    the PVS would see two. So the script waits, through haproxy's admin socket, until
    nothing is at the PVS's slot or queued for it. Ground truth: the simulator's peak."""
    tls = tls_folder(tmp_path)
    pvs_https = sim.config.https_port
    assert pin(tls, pvs_https, tmp_path)["state"] == "waiting"
    admin = tmp_path / "admin.sock"
    haproxy, variables = terminating_bridge(sim, tls, bridge_proxy_stats_socket=str(admin))
    http_port = variables["bridge_proxy_http_port"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "systemctl.calls"
    stand_in = bin_dir / "systemctl"
    stand_in.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {calls}\n'
        'case "$*" in *reload*haproxy*) kill -USR2 "$HAPROXY_MASTER" ;; esac\n'
    )
    stand_in.chmod(0o755)
    with haproxy:
        sim.set_firmware(NEW_FIRMWARE, seconds=0.2)
        until(lambda: booted(sim), bool, 30)
        until(lambda: get(http_port, GET_COMM)[0], lambda s: s in (200, 403))
        sim.reset_counters()
        sim.set_fault("slow", seconds=4)  # each answer 4 s late: the slot stays busy
        asked = get_comm_count(sim)
        with ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(get, http_port, GET_COMM)
            until(lambda: get_comm_count(sim) > asked, bool, 10)
            stand_in_env = {
                "PATH": f"{bin_dir}:{os.environ['PATH']}",
                "HAPROXY_MASTER": str(haproxy.pid),
            }
            looked = pin(tls, pvs_https, tmp_path, "--service", "--socket", str(admin),
                         env=stand_in_env)  # fmt: skip
            status, headers, _ = in_flight.result()
        sim.set_fault("none")
        time.sleep(3)  # the new workers' first checks have run
        counters = sim.counters()
    assert looked["state"] == "pinned" and looked["changed"] == "yes"
    assert "try-reload-or-restart haproxy.service" in calls.read_text()
    assert status in (200, 403) and "x-pvs-bridge-pvs" not in headers  # the PVS's answer
    assert counters["concurrency"]["peak"] == 1
