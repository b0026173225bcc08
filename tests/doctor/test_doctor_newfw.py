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
from bridge_cli.doctor import newfw, ssh_parsers
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
    assert other.status == "fail" and "other than the pinned one" in other.summary
    assert "never trusted by itself" in other.summary
    assert "-e bridge_proxy_pvs_repin=true" in other.hint and "99:99" in other.detail
    assert newfw.judge_pin(FACTS, "").status == "warn"
    assert newfw.judge_pin(FACTS | {"pvs_pin_sha256": ""}, "").status == "info"
    assert newfw.judge_pin(None, PIN).status == "skip"
    assert newfw.judge_pin(FACTS | {"https_mode": "passthrough"}, "99:99").status == "info"


FIRST_USE = FACTS | {"pvs_pin_sha256": "", "pvs_pin_on_first_use": True}


def test_pinning_on_first_use_states():
    waiting = newfw.judge_pin(FIRST_USE, "")
    assert waiting.status == "info" and "pins the first one the PVS presents" in waiting.summary
    # Presented but not pinned yet: the timer's next look pins it; if it stays, the units.
    due = newfw.judge_pin(FIRST_USE, "99:99")
    assert due.status == "warn" and "pvs-bridge-pin.timer" in due.summary
    assert "systemctl status pvs-bridge-pin.timer" in due.hint and "99:99" in due.detail
    off = newfw.judge_pin(FIRST_USE | {"pvs_pin_on_first_use": False}, "99:99")
    assert off.status == "warn" and "bridge-cli provision -i <inventory>" in off.hint
    # Pinned on first presentation, then another certificate: refused, never re-pinned.
    record = {"pvs_pin_sha256": PIN, "pinned_by": "first presentation", "pinned_at": "2026-12-02"}
    changed = newfw.judge_pin(FIRST_USE | record, "99:99")
    assert changed.status == "fail" and "-e bridge_proxy_pvs_repin=true" in changed.hint
    assert "pinned (on first presentation, 2026-12-02): SHA256 AB:CD:EF" in changed.detail
    assert newfw.judge_pin(FIRST_USE | record, PIN).status == "pass"


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


def test_one_facts_command_the_pin_record_merged():
    """The doctor reads the facts once (ssh_parsers' shared `facts` command): the proxy's,
    with the pin's record (bridge_proxy_pin.fact, written by pvs-bridge-pin) merged in."""
    assert "proxy_facts" not in newfw.COMMANDS and "facts" in ssh_parsers.COMMANDS
    printed = (
        '== bridge_proxy\n{"https_mode": "terminate", "pvs_pin_on_first_use": true}\n\n'
        '== bridge_proxy_pin\n{"pvs_pin_sha256": "AB:CD:EF", "pinned_by": "first presentation",'
        ' "pinned_at": "2026-12-02T10:00:00Z"}\n'
    )
    facts = newfw.proxy_facts(ssh_parsers.parse_facts(printed))
    assert facts["https_mode"] == "terminate" and facts["pvs_pin_sha256"] == PIN
    assert facts["pinned_by"] == "first presentation"
    # An older role kept the pin in bridge_proxy.fact; no bridge_proxy.fact: no facts.
    old = newfw.proxy_facts({"bridge_proxy": {"pvs_pin_sha256": PIN}})
    assert old["pvs_pin_sha256"] == PIN
    assert newfw.proxy_facts({"bridge_proxy_pin": {"pvs_pin_sha256": PIN}}) is None


def test_bridge_https_fails_while_the_pvs_certificate_is_refused():
    assert newfw.pin_refused(FACTS, "99:99") and not newfw.pin_refused(FACTS, PIN)
    assert not newfw.pin_refused(FACTS, "") and not newfw.pin_refused(FIRST_USE, "99:99")
    f = newfw.judge_https(cert(400), "", FACTS, True, NOW, refused=True)
    assert f.status == "fail" and "answers 503" in f.summary and "ssh.pvs_pin" in f.summary
    assert "-e bridge_proxy_pvs_repin=true" in f.hint


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
