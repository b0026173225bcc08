"""`bridge-cli lab bench --quick`: the loopback parts for real (simulator + haproxy), once.

Structural facts only (no timed asserts): the report has its rows, our config lets one
request at a time reach the PVS, the guide's config lets several through, the gzip ratio
is computed from bytes really received.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from harness.bench import runner, stats

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists()),
        reason="haproxy is not installed (scripts/install-system-deps.sh)",
    ),
]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    opts = runner.Options.quick_defaults(
        output=tmp / "BENCHMARKS.md",
        json_output=tmp / "bench.json",
        command="bridge-cli lab bench --quick",
    )
    results = runner.run(opts, log=lambda m: None)
    return results, (tmp / "BENCHMARKS.md").read_text(), tmp


def test_report_written_with_every_section_and_row(quick):
    _, text, tmp = quick
    for heading in ("# Benchmarks", "## Summary", "## Machine", "## 1. Proxy overhead",
                    "## 2. Compression", "## 3. Protection of the PVS", "## 4. Provisioning",
                    "## 5. Doctor", "## 6. Footprint of haproxy"):  # fmt: skip
        assert heading in text, heading
    assert "| pvs-bridge role (defaults) |" in text
    assert "| guide's original config |" in text
    assert "bridge-cli lab bench --quick" in text
    assert re.search(r"^\| 24 \| 27 \| \d+ \| \d+ \|", text, re.M), "24-inverter row missing"
    assert re.search(r"^\| 60 \| 63 \| \d+ \| \d+ \|", text, re.M), "60-inverter row missing"
    assert json.loads((tmp / "bench.json").read_text())["quick"] is True
    assert not list(tmp.glob(".*.tmp")), "temporary file left behind"


def test_role_config_lets_one_request_at_a_time_reach_the_pvs(quick):
    results, text, _ = quick
    role = results["protection"]["role"]
    assert "error" not in role, role
    assert role["peak_concurrency"] == 1
    assert role["reached_pvs"] >= 1
    assert role["clients"]["error_count"] == 0, role["clients"]["errors"]
    assert "| pvs-bridge role (defaults) | 1 |" in text


def test_guide_config_lets_several_concurrent_pollers_through(quick):
    results, _, _ = quick
    guide = results["protection"]["guide"]
    assert "error" not in guide, guide
    assert guide["peak_concurrency"] > 1
    # Without a cache every poll reaches the PVS; with ours some are answered by haproxy.
    assert guide["reached_pvs"] >= results["protection"]["role"]["reached_pvs"]


def test_gzip_ratio_comes_from_real_bytes(quick):
    results, text, _ = quick
    rows = results["compression"]["rows"]
    assert [r["inverters"] for r in rows] == [24, 60]
    for row in rows:
        assert 0 < row["gzip_wire_bytes"] < row["plain_wire_bytes"]
        assert row["plain_body_bytes"] == row["json_bytes"]  # identity: body is the JSON
        expected = stats.saving(row["plain_wire_bytes"], row["gzip_wire_bytes"])
        assert row["saving_wire_pct"] == pytest.approx(expected)
        assert f"| {row['plain_wire_bytes']} | {row['gzip_wire_bytes']} | {expected:.1f} % |" in (
            text
        )
    # More inverters, more JSON: the 60-inverter list is larger both ways.
    assert rows[1]["plain_wire_bytes"] > rows[0]["plain_wire_bytes"]
    assert rows[1]["gzip_wire_bytes"] > rows[0]["gzip_wire_bytes"]


def test_footprint_read_from_the_running_haproxy(quick):
    results, _, _ = quick
    fp = results["protection"]["role"]["footprint"]
    assert fp["idle"]["rss_kb"] > 1024  # a live haproxy, not a default
    assert fp["load"]["peak_rss_kb"] >= fp["idle"]["rss_kb"] * 0.9
    assert {"RssAnon", "RssFile", "RssShmem"} <= set(fp["rss_detail"])


def test_cache_memory_becomes_resident_as_the_cache_cycles(quick):
    results, text, _ = quick
    rows = results["cachefill"]["rows"]
    assert [r["cache_mb"] for r in rows] == [1]
    row = rows[0]
    before = row["before"]["worker"]["RssShmem"]
    after = row["after"]["worker"]["RssShmem"]
    assert after > before + 512, (before, after)  # the cache's pages became resident
    assert after <= 1024 * 1.1  # and no more than the configured 1 MB
    assert (
        row["after"]["rss_kb"]
        == row["after"]["master"]["rss_kb"] + row["after"]["worker"]["rss_kb"]
    )
    assert "### Once the cache has filled" in text


# ---- the peers (varnish, nginx, Caddy, the guide's haproxy), run for real -------------

OTHERS = ("guide", "varnish", "nginx", "caddy")


def _peer_ran(results, key):
    from harness.bench import peers

    reason = peers.missing(key)
    if reason:
        pytest.skip(reason)
    for part in ("protection", "mixed", "peerchecks"):
        row = results[part][key]
        assert "error" not in row and "skipped" not in row, (part, row)


@pytest.mark.parametrize("key", OTHERS)
def test_every_peer_ran_every_workload(quick, key):
    results, text, _ = quick
    _peer_ran(results, key)
    a, m, c = (results[p][key] for p in ("protection", "mixed", "peerchecks"))
    assert a["clients"]["requests"] > 0 and m["clients"]["requests"] > 0
    assert a["footprint"]["load"]["peak_rss_kb"] > 1024  # a live process tree
    assert c["down"]["served_after_pvs_back"] is not None, c["down"]
    assert c["overhead"]["through"]["count"] > 0
    assert f"| {results['peerchecks'][key]['label']} |" in text


@pytest.mark.parametrize("key", OTHERS)
def test_writes_reach_the_pvs_through_every_peer_but_not_through_the_role(quick, key):
    results, _, _ = quick
    _peer_ran(results, key)
    role = results["peerchecks"]["role"]["write"]
    assert role == {"status": 403, "reached_pvs": False}
    assert results["peerchecks"][key]["write"]["reached_pvs"] is True


@pytest.mark.parametrize("key", ("nginx", "caddy", "guide"))
def test_proxies_without_a_cache_pass_every_poll_to_the_pvs(quick, key):
    results, _, _ = quick
    _peer_ran(results, key)
    a = results["protection"][key]
    assert a["reached_pvs"] >= a["clients"]["ok"]  # every answer was a PVS request of its own
    assert a["reached_pvs"] > results["protection"]["role"]["reached_pvs"]
    assert a["peak_concurrency"] > 1


def test_varnish_merges_the_pollers_misses_and_does_not_gzip(quick):
    results, _, _ = quick
    _peer_ran(results, "varnish")
    a = results["protection"]["varnish"]
    assert a["peak_concurrency"] == 1 and a["reached_pvs"] == 1
    assert results["peerchecks"]["varnish"]["gzip"]["encoding"] == "identity"
    assert results["peerchecks"]["role"]["gzip"]["encoding"] == "gzip"
    # Its 600 s cache answered DeviceList while the PVS was down.
    during = results["peerchecks"]["varnish"]["down"]["devicelist_during_outage"]
    # (Most, not all: on a loaded 2-core machine a client can time out on its own side.)
    assert during["asked"] > 0 and during["answered"] >= 0.75 * during["asked"], during


def test_section_7_compares_every_peer(quick):
    results, text, _ = quick
    assert "## 7. Against what owners run instead" in text
    assert "### What each does better" in text
    assert "| **pvs-bridge (role's haproxy)** |" in text
    for key in OTHERS:
        if "skipped" not in results["peerchecks"].get(key, {}):
            assert f"| 7. pvs-bridge vs {results['peerchecks'][key]['label']} |" in text


def test_new_firmware_section_measured_through_the_real_bridge(quick):
    """Section 8: both :443 modes answered the reads, haproxy did real handshakes, and the
    three pypvs pollers reached the PVS one at a time (its own counters)."""
    results, text, _ = quick
    data = results["newfw"]
    for part in ("latency", "handshakes", "pollers"):
        assert "error" not in data[part], data[part]
    for kind in ("new_connection", "keep_alive"):
        assert data["latency"][kind]["terminate"]["count"] == data["latency"]["requests"]
    assert data["handshakes"]["handshakes"] > 0 and data["handshakes"]["failed"] == 0
    assert data["pollers"]["peak"] == 1
    assert data["pollers"]["commands"].get("vars", 0) > 0
    assert sum(c["errors"] for c in data["pollers"]["clients"]) == 0
    assert "## 8. The 2025 firmware's API (:443)" in text
    assert "| 8c. Three pypvs clients every 10 s: PVS peak concurrency | 1 | 1 | met |" in text
