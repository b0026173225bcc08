"""The soak's pure parts: the day's schedule, classifying answers, the figures, the report."""

from __future__ import annotations

import gzip
import json

import pytest

from bridge_cli.soak import analyze, report
from bridge_cli.soak.clients import classify_legacy
from bridge_cli.soak.schedule import EVENT_KEYS, MAX_DAY_MINUTES, make_plan, start_offset


def test_full_day_fits_thirty_minutes_with_every_event_in_order():
    plan = make_plan()
    assert plan.day_seconds == MAX_DAY_MINUTES * 60 and plan.scale == 48
    assert tuple(e.key for e in plan.events) == EVENT_KEYS
    hours = [e.hour for e in plan.events]
    assert hours == sorted(hours) and all(0 <= h < 24 for h in hours)
    # realistic points: a reboot at night, the firmware mid-day
    by_key = {e.key: e for e in plan.events}
    assert by_key["pvs_reboot"].hour < 5 and 10 <= by_key["firmware_2025"].hour <= 14
    # the durations: gone 1-2 minutes, hung for minutes, DeviceList over a minute,
    # WiFi down two minutes
    assert 60 <= by_key["pvs_reboot"].seconds <= 120
    assert by_key["hung_cgi"].seconds >= 120
    assert by_key["slow_devicelist"].extra["delay"] > 60
    assert by_key["wifi_down"].seconds == 120
    assert by_key["power_cut"].extra["dhcp_delay"] > 0
    # every event fits in the day, one after the other, with calm spells between
    cursor = None
    for event in plan.events:
        begin = start_offset(plan, event, cursor)
        cursor = begin + event.seconds + sum(event.extra.get(k, 0) for k in ("dhcp_delay",))
    assert cursor + plan.calm_seconds <= plan.day_seconds
    assert plan.bound_seconds < 3 * 3600  # the clients' hard limit


def test_quick_day_is_a_few_minutes():
    plan = make_plan(quick=True)
    assert plan.day_seconds <= 300 and plan.quick
    total = sum(e.seconds + e.extra.get("dhcp_delay", 0) for e in plan.events)
    assert total < plan.day_seconds


def test_late_event_waits_for_a_calm_spell():
    plan = make_plan(day_minutes=10)
    first, second = plan.events[:2]
    assert start_offset(plan, first, None) == plan.real_offset(first.hour)
    late = plan.real_offset(second.hour) + 100  # the first event's window closed late
    assert start_offset(plan, second, late) == late + plan.calm_seconds


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"day_minutes": 31}, "1..30"), ({"day_minutes": 0.5}, "1..30"), ({"only": ("x",)}, "x")],
)
def test_plan_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_plan(**kwargs)


def test_only_keeps_the_chosen_events():
    plan = make_plan(quick=True, only=("wifi_down", "pvs_reboot"))
    assert [e.key for e in plan.events] == ["pvs_reboot", "wifi_down"]


def _devicelist(inverters: int) -> bytes:
    devices = [{"DEVICE_TYPE": "PVS", "dl_uptime": "42"}]
    devices += [{"DEVICE_TYPE": "Inverter"}] * inverters
    return json.dumps({"devices": devices, "result": "succeed"}).encode()


def test_classify_answers():
    assert classify_legacy(200, {}, _devicelist(3)) == ("ok", {"inverters": 3, "uptime": 42.0})
    assert classify_legacy(200, {}, gzip.compress(b"x"))[0] == "error"
    locked = b'{"status":403,"error":"Unauthorized","path":""}'
    assert classify_legacy(403, {}, locked)[0] == "locked"  # the PVS's own refusal
    guard = {"X-PVS-Bridge-Guard": "read-only"}
    assert classify_legacy(403, guard, locked) == (
        "error",
        {"detail": "HTTP 403 (bridge guard)"},
    )
    assert classify_legacy(503, {}, b"") == ("error", {"detail": "HTTP 503"})


def _rec(start, end, outcome="ok", kind="legacy", **kw):
    return {"kind": kind, "client": 0, "start": start, "end": end, "outcome": outcome, **kw}


def test_summarise_splits_inside_and_outside_the_windows():
    records = [
        _rec(1, 2),  # calm before
        _rec(9, 11, "error", detail="HTTP 503"),  # overlaps the window start: inside
        _rec(12, 13, "ok", cached=True),  # cache answered during the fault
        _rec(14, 15, "error", kind="pypvs", detail="TimeoutError"),
        _rec(15, 17, kind="probe"),  # started during the fault: not "served again"
        _rec(16.5, 17.5, "error", kind="probe", detail="HTTP 503"),
        _rec(17.5, 18, kind="probe", cached=True),
        _rec(21, 22, kind="probe"),  # the probe's first answer after the fault: window end
        _rec(21, 22),
        _rec(30, 31, "error", detail="ConnectionResetError"),  # calm after: outside
    ]
    assert analyze.first_served_after(records, 16) == 22
    assert analyze.first_served_after(records, 0, kind="pypvs") is None  # its only one failed
    timeline = [{"key": "hung_cgi", "fault_start": 10, "fault_end": 16, "window_end": 22}]
    s = analyze.summarise(records, timeline, 0, 40)
    inside, after = s["events"][0]["inside"], s["events"][0]["after"]
    assert inside["errors"] == 2 and inside["legacy"]["cached"] == 1
    assert inside["pypvs"]["error_kinds"] == {"TimeoutError": 1}
    assert after["errors"] == 1 and s["before_first"]["errors"] == 0
    assert s["outside_total"] == 1 and s["day"]["legacy"]["requests"] == 5
    assert "probe" not in s["day"]  # the soak's own probe is no client


def test_inverters_back_counts_fresh_devicelists_only():
    records = [
        _rec(1, 2, inverters=12, cached=True),
        _rec(3, 4, inverters=2),
        _rec(5, 6, inverters=7),
        _rec(7, 9, inverters=12),
    ]
    assert analyze.inverters_back(records, 0, 12) == {"fewest": 2, "all_back_after": 9}


def _results(needed_hand=False, peak=1, errors_after=0):
    tally = analyze.tally([])
    after = analyze.tally([_rec(1, 2, "error", detail="x")] * errors_after)
    event = {
        "key": "wifi_down", "title": "Home WiFi down", "how": "link down", "hour": 16.0,
        "fault_start": 100.0, "fault_end": 220.0, "window_end": 225.0,
        "served_again_after": None if needed_hand else 5.0, "needed_hand": needed_hand,
        "peak": peak, "haproxy_restarts": 0,
        "haproxy_before": {"restarts": 0, "pid": 7, "active": "active"},
        "haproxy_after": {"restarts": 0, "pid": 7, "active": "active"},
    }  # fmt: skip
    return {
        "started": 0.0, "total_seconds": 2000.0, "wall_seconds": 1800.0, "release": "bookworm",
        "provision_seconds": 50.0,
        "plan": {"quick": False, "day_seconds": 1800.0, "scale": 48.0, "pollers": 20,
                 "poll_interval": 5.0, "pypvs_clients": 3, "pypvs_interval": 10.0,
                 "recovery_limit": 300.0},
        "timeline": [event], "calm_peaks": [1, 1],
        "summary": {"events": [{"inside": tally, "after": after}], "before_first": tally,
                    "outside_total": errors_after, "day": tally},
        "disk": {"upper_start": 1000, "upper_end": 5096, "seconds": 1800.0,
                 "steady_bytes": 4096, "steady_seconds": 1800.0,
                 "processes": {"bytes": 8192, "seconds": 1800.0,
                               "largest": [{"process": "systemd-journal", "bytes": 8192}]},
                 "written": {"count": 2, "bytes": 4096,
                             "largest": [{"path": "/var/log/x", "bytes": 4096}]}},
    }  # fmt: skip


def test_report_all_met():
    text = report.render(_results(), "bridge-cli lab soak")
    assert text.startswith("# Reliability")
    assert "| Client errors outside the event windows | 0 | 0 | met |" in text
    assert "| PVS peak concurrency (whole day) | 1 | 1 | met |" in text
    assert "| 16:00 | Home WiFi down | 0 (0 / 0) | 0 (0 / 0) | 1 | 5.0 s | 0 | no |" in text
    assert "192.0 kB" in text  # 4096 B of growth in 1800 s, per 24 h
    assert "| 384.0 kB | as low as possible (SD card) |" in text  # 8192 B written
    assert "systemd-journal 8.0 kB" in text


def test_writes_between_samples():
    from bridge_cli.soak.guest import writes_between

    before = {1: ("journald", 1000), 2: ("haproxy", 0), 3: ("gone", 5000)}
    after = {1: ("journald", 5000), 2: ("haproxy", 100), 4: ("new", 50), 5: ("idle", 0)}
    result = writes_between(before, after)
    assert result["bytes"] == 4150
    assert result["largest"][0] == {"process": "journald", "bytes": 4000}


def test_report_says_what_was_missed():
    text = report.render(_results(needed_hand=True, peak=2, errors_after=3), "c")
    assert "| Client errors outside the event windows | 3 | 0 | **missed** |" in text
    assert "| PVS peak concurrency (whole day) | 2 | 1 | **missed** |" in text
    assert "| Events after which the bridge needed a hand | 1 of 1 | never | **missed** |" in text
    assert "| **yes** |" in text


def test_the_day_is_compressed_but_not_the_pvs_login_session():
    """The site clock runs the day's scale; the protocol timers (the 300 s session) real
    time, like the clients: compressed, a session ended within one pypvs update through the
    bridge's queue and pypvs's retry after its re-login failed (issue 14's calm errors)."""
    from bridge_cli.soak.day import SoakLab

    lab = SoakLab("soak-units")
    lab.plan = make_plan(20)
    argv = lab._simulator_argv()
    assert argv[argv.index("--day-scale") + 1] == f"{lab.plan.scale:g}" and lab.plan.scale > 1
    assert "--time-scale" not in argv
