"""The field case of issue 14 on a real provisioned bridge: provisioned while the PVS runs
legacy firmware (nothing to pin), the PVS updated to the 2025 firmware later. The bridge
heals by itself: pvs-bridge-pin.timer pins the first certificate the PVS presents and
reloads haproxy (no restart), and :443 serves pypvs-style clients (login, /vars) without
Ansible being run again. A certificate that changes afterwards (a replaced or reset PVS)
is refused, never re-pinned by the bridge, and the doctor says so with the exact fix;
the fix (`-e bridge_proxy_pvs_repin=true`) then brings :443 back.

Ground truth: the simulator (its firmware switch, as the soak's firmware event does),
haproxy's systemd state in the guest, the files on the bridge, the doctor's JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from bridge_cli.lab import Lab
from bridge_cli.lab.provision import run_playbook
from bridge_cli.soak import guest

pytestmark = [pytest.mark.lab, pytest.mark.slow]
NAME = "pin-first-use"
BUILD = "61845"
SERIAL = "ZT214385001823A0748"  # the lab simulator's
HEAL_LIMIT = 300.0  # the soak's "needed a hand" bound: a bridge that heals later did not
PIN_FACT = "/etc/ansible/facts.d/bridge_proxy_pin.fact"

# A pypvs-like client in the home namespace: log in over :443, read one /vars value.
CLIENT = """
import base64, http.client, json, ssl, sys
host, serial = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
def get(path, headers):
    c = http.client.HTTPSConnection(host, 443, context=ctx, timeout=20)
    try:
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        h = lambda name: r.getheader(name) or ""
        return r.status, h("X-PVS-Bridge-Pvs"), h("Set-Cookie"), r.read()
    finally:
        c.close()
token = base64.b64encode(("ssm_owner:" + serial[-5:]).encode()).decode()
status, why, cookie, body = get("/auth?login", {"Authorization": "basic " + token})
out = {"login": status, "why": why, "body": body.decode(errors="replace")[:1000]}
if status == 200:
    status, why, _, body = get("/vars?name=/sys/info/serialnum", {"Cookie": cookie.split(";")[0]})
    out.update(read=status, value=body.decode(errors="replace")[:300])
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def lab():
    lab = Lab(NAME)  # the simulator's default firmware: legacy, no HTTPS
    lab.down()
    try:
        lab.up(log=lambda *a, **k: None)
        proc = run_playbook(lab, capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail("provisioning the lab failed:\n" + proc.stdout[-3000:])
        yield lab
    finally:
        lab.down()


def client(lab) -> dict:
    argv = [sys.executable, "-c", CLIENT, lab.bridge_address, SERIAL]
    proc = lab.run_home(argv, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout)


def on_bridge(lab, *argv: str) -> subprocess.CompletedProcess:
    return lab.ssh(["sudo", "-n", *argv], capture_output=True, text=True, timeout=60)


def pin_record(lab) -> dict | None:
    proc = on_bridge(lab, "cat", PIN_FACT)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def switch_firmware(lab, new_certificate: bool = False) -> None:
    renew = "&new_certificate=1" if new_certificate else ""
    assert guest.sim(lab, f"/_sim/firmware?build={BUILD}&seconds=5{renew}", method="POST")
    assert guest.wait_sim(lab, 120), "the simulated PVS did not come back"


def doctor(lab, tmp_path) -> dict[str, dict]:
    """`bridge-cli doctor --json` from the home namespace, with its SSH checks."""
    known = tmp_path / "known_hosts"
    known.write_text("")
    argv = [sys.executable, "-m", "bridge_cli", "doctor", lab.bridge_address,
            "--ssh-user", lab.ssh_user, "--ssh-key", str(lab.ssh_key_path),
            "--ssh-known-hosts", str(known), "--json", "--timeout", "5"]  # fmt: skip
    proc = lab.run_home(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return {c["id"]: c for c in json.loads(proc.stdout)["checks"]}


def until_served(lab, limit: float) -> tuple[dict, float]:
    """The client's result once it read /vars through :443 (or the last one at `limit`),
    and the seconds it took (reported, not asserted)."""
    start = time.monotonic()
    while True:
        result = client(lab)
        if result.get("read") == 200 or time.monotonic() - start > limit:
            return result, time.monotonic() - start
        time.sleep(2)


@pytest.mark.timeout(1500)
def test_443_heals_by_itself_after_the_firmware_update_and_a_changed_certificate_is_refused(
    lab, tmp_path
):
    # Provisioned on legacy firmware: nothing pinned, the timer looks, :443 says 503.
    assert pin_record(lab) is None
    assert on_bridge(lab, "systemctl", "is-active", "pvs-bridge-pin.timer").stdout.strip() == (
        "active"
    )
    before = client(lab)
    assert before.get("login") == 503, before
    haproxy_before = guest.haproxy_state(lab)

    # The overnight firmware update. Nobody touches the bridge.
    switch_firmware(lab)
    served, took = until_served(lab, HEAL_LIMIT)
    print(f"\n:443 served {took:.1f} s after the PVS came back with the 2025 firmware")
    assert served.get("read") == 200 and SERIAL in served["value"], served

    # Pinned on the bridge, on first presentation, reloaded: the same haproxy master, no
    # restart; the timer stopped itself.
    record = pin_record(lab)
    assert record and record["pinned_by"] == "first presentation", record
    presented = on_bridge(lab, "openssl", "x509", "-noout", "-fingerprint", "-sha256",
                          "-in", "/etc/haproxy/pvs-bridge/pvs-pinned.pem")  # fmt: skip
    assert presented.stdout.strip().split("=", 1)[1] == record["pvs_pin_sha256"]
    mode = on_bridge(lab, "stat", "-c", "%a:%U", "/etc/haproxy/pvs-bridge/pvs-pinned.pem")
    assert mode.stdout.strip() == "644:root"
    haproxy_after = guest.haproxy_state(lab)
    assert haproxy_after["pid"] == haproxy_before["pid"], (haproxy_before, haproxy_after)
    assert haproxy_after["restarts"] == haproxy_before["restarts"]
    assert on_bridge(lab, "systemctl", "is-active", "pvs-bridge-pin.timer").stdout.strip() != (
        "active"
    )
    journal = on_bridge(lab, "journalctl", "-t", "pvs-bridge-pin", "--no-pager", "-q")
    assert "pinned the certificate the PVS at" in journal.stdout, journal.stdout[-2000:]
    c = doctor(lab, tmp_path)
    assert c["ssh.pvs_pin"]["status"] == "pass", c["ssh.pvs_pin"]
    assert "on first presentation" in c["ssh.pvs_pin"]["detail"]
    assert c["bridge.https"]["status"] == "pass", c["bridge.https"]

    # The PVS comes back with another certificate: refused, not pinned by the bridge, even
    # when the pinning service runs again; the doctor names the fix.
    switch_firmware(lab, new_certificate=True)
    assert on_bridge(lab, "systemctl", "start", "pvs-bridge-pin.service").returncode == 0
    assert pin_record(lab) == record
    refused = client(lab)
    deadline = time.monotonic() + 60
    while refused.get("why") != "down" and time.monotonic() < deadline:  # health check
        time.sleep(2)
        refused = client(lab)
    assert refused.get("login") == 503 and refused.get("why") == "down", refused
    assert "-e bridge_proxy_pvs_repin=true" in refused["body"]
    c = doctor(lab, tmp_path)
    pin = c["ssh.pvs_pin"]
    assert pin["status"] == "fail" and "other than the pinned one" in pin["summary"], pin
    assert "bridge-cli provision -i <inventory> -e bridge_proxy_pvs_repin=true" in pin["hint"]
    assert record["pvs_pin_sha256"] in pin["detail"]
    https = c["bridge.https"]
    assert https["status"] == "fail" and "answers 503" in https["summary"], https

    # The fix, as the doctor words it: the new certificate pinned, :443 serves again.
    proc = run_playbook(lab, ["-e", "bridge_proxy_pvs_repin=true"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    served, _ = until_served(lab, 120)
    assert served.get("read") == 200, served
    repinned = pin_record(lab)
    assert repinned["pvs_pin_sha256"] != record["pvs_pin_sha256"]
    assert repinned["pinned_by"] == "provisioning"
    assert doctor(lab, tmp_path)["ssh.pvs_pin"]["status"] == "pass"
