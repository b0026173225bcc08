"""The doctor on the 2025 firmware's side (issue 12, item 6): :443's mode and certificate,
the PVS's pin, mDNS, what the guard lets through.

The judges with canned data (what the bridge's tools print), then bridge.https against the
real simulator behind the role's real haproxy with :443 terminated on loopback, the
bridge's certificate made as the role makes it, fresh and about to expire.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from doctor_helpers import run

from bridge_cli import bridge_tls
from bridge_cli.doctor import newfw
from harness.testbed import testbed as loopback_bridge

NOW = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
PIN = "AB:CD:EF"
FACTS = {
    "https_mode": "terminate",
    "pvs_pin_sha256": PIN,
    "allow_writes": False,
    "allowed_sets": ["/sys/telemetryws/enable=1"],
    "pvs_address": "172.27.153.1",
}


def cert(days: float, sha: str = "11:22") -> dict:
    return {"cn": "pvs-bridge", "not_after": NOW + dt.timedelta(days=days), "sha256": sha}


# ---- :443 ------------------------------------------------------------------------------


def test_terminated_with_a_valid_certificate_passes_and_says_until_when():
    f = newfw.judge_https(cert(400), "", FACTS, True, NOW)
    assert f.status == "pass"
    assert "terminated on the bridge" in f.summary and "2028-01-06 (400 days)" in f.summary


def test_a_certificate_in_its_renewal_window_warns_and_an_expired_one_fails():
    soon = newfw.judge_https(cert(10), "", FACTS, True, NOW)
    assert soon.status == "warn" and "expires in 10 days" in soon.summary
    assert "bridge-cli provision" in soon.hint
    gone = newfw.judge_https(cert(-1), "", FACTS, True, NOW)
    assert gone.status == "fail" and "EXPIRED" in gone.summary


def test_passthrough_is_said_with_what_it_means():
    facts = FACTS | {"https_mode": "passthrough"}
    f = newfw.judge_https(cert(3000, PIN), "", facts, True, NOW)
    assert f.status == "info" and "passed through" in f.summary and "guard" in f.summary
    # Without SSH (no facts, no pin) the doctor cannot tell the modes apart, and says so.
    assert "mode unknown" in newfw.judge_https(cert(400), "", None, None, NOW).summary


def test_no_tls_on_443_is_fine_on_legacy_firmware_only():
    legacy = newfw.judge_https(None, "ConnectionRefusedError", None, False, NOW)
    assert legacy.status == "info" and "legacy API only" in legacy.summary
    new = newfw.judge_https(None, "ConnectionRefusedError", FACTS, True, NOW)
    assert new.status == "fail" and "2025-firmware clients cannot reach" in new.summary


# ---- the pin, mDNS, the guard -----------------------------------------------------------


@pytest.mark.parametrize(
    "printed",
    [
        "sha256 Fingerprint=AB:CD:EF\n",
        "SHA256 Fingerprint=ab:cd:ef",
        "x\nsha256 Fingerprint=AB:CD:EF",
    ],
)
def test_openssl_fingerprint_lines_parsed(printed):
    assert newfw.parse_fingerprint(printed) == PIN


def test_pin_matches_differs_or_is_absent():
    assert newfw.judge_pin(FACTS, PIN).status == "pass"
    other = newfw.judge_pin(FACTS, "99:99")
    assert other.status == "fail" and "other than the one pinned" in other.summary
    assert "bridge_proxy_pvs_repin=true" in other.hint and "99:99" in other.detail
    assert newfw.judge_pin(FACTS, "").status == "warn"
    assert newfw.judge_pin(FACTS | {"pvs_pin_sha256": ""}, "").status == "info"
    assert newfw.judge_pin(None, PIN).status == "skip"


SERVICE = """<?xml version="1.0" standalone='no'?>
<service-group>
  <name>PVS6 ZT214385001823A0748</name>
  <service protocol="ipv4">
    <type>_pvs6._tcp</type>
    <port>443</port>
    <txt-record>serialnum=ZT214385001823A0748</txt-record>
  </service>
</service-group>
"""


def test_mdns_advertisement_judged_with_the_serial_masked():
    f = newfw.judge_mdns((0, "active\n"), (0, SERVICE))
    assert f.status == "pass" and "_pvs6._tcp serialnum=ZT214385001823*****" in f.summary
    assert "A0748" not in f.summary  # the password is the serial's last five
    dead = newfw.judge_mdns((3, "inactive\n"), (0, SERVICE))
    assert dead.status == "fail" and "avahi-daemon is inactive" in dead.summary
    absent = newfw.judge_mdns((0, "active\n"), (1, "cat: ...: No such file or directory"))
    assert absent.status == "info" and "not advertised" in absent.summary


def test_what_the_guard_lets_through():
    f = newfw.judge_guard_allows(FACTS)
    assert f.status == "info"
    assert "terminated :443" in f.summary and "/sys/telemetryws/enable=1" in f.summary
    assert "none" in newfw.judge_guard_allows(FACTS | {"allowed_sets": []}).summary
    open_ = newfw.judge_guard_allows(FACTS | {"allow_writes": True})
    assert open_.status == "warn" and "every write" in open_.summary


def test_facts_parsed_or_none():
    assert newfw.parse_facts(0, '{"https_mode": "terminate"}') == {"https_mode": "terminate"}
    assert newfw.parse_facts(1, "cat: no such file") is None
    assert newfw.parse_facts(0, "not json") is None


# ---- bridge.https against the real haproxy -----------------------------------------------


@pytest.mark.skipif(not os.path.exists("/usr/sbin/haproxy"), reason="needs /usr/sbin/haproxy")
@pytest.mark.parametrize(("days", "status"), [(825, "pass"), (10, "warn")])
def test_bridge_https_reads_the_certificate_haproxy_presents(tmp_path, days, status):
    tls = tmp_path / "tls"
    tls.mkdir()
    made = bridge_tls.make_self_signed(tls / "bridge.pem", "pvs-bridge", ["127.0.0.1"], days)
    # The pin only matters toward the PVS; :443's own certificate is what is judged here.
    bridge_tls.make_self_signed(tls / "pvs-pinned.pem", "pvs", ["127.0.0.1"])
    extra = {"bridge_proxy_https_mode": "terminate", "bridge_proxy_tls_dir": str(tls)}
    with loopback_bridge(firmware=61845, haproxy_extra=extra, state_dir=tmp_path) as bed:
        f = run(bed).finding("bridge.https")
    assert f.status == status, f
    assert made.not_valid_after_utc.strftime("%Y-%m-%d") in f.summary
    assert bridge_tls.fingerprint(made) in f.detail  # the bridge's own, not the PVS's
