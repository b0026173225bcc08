"""Judgement of haproxy stats and of what the PVS reports (canned data)."""

from __future__ import annotations

import datetime as dt

from bridge_cli.doctor import haproxy_stats as hs
from bridge_cli.doctor import pvs_judge as pj

HEADER = (
    "# pxname,svname,qcur,qmax,scur,stot,status,check_status,last_chk,hrsp_2xx,hrsp_5xx,rtime,econ"
)


def csv(backend_status="UP", server_status="UP", check="L4OK", qcur=0, stot=10, h5=0, h2=10):
    return "\n".join(
        [
            HEADER,
            f"pvs_http,pvs,0,0,0,{stot},{server_status},{check},Connection refused,{h2},{h5},12,",
            f"pvs_http,BACKEND,{qcur},3,0,{stot},{backend_status},,,{h2},{h5},12,0",
        ]
    )


def view(**kw):
    return hs.backend_view(hs.parse_stats_csv(csv(**kw)))


def test_stats_csv_and_uptime():
    rows = hs.parse_stats_csv(csv())
    assert rows[0]["svname"] == "pvs"
    assert hs.parse_uptime("<b>uptime = </b> 1d 2h03m04s<br>") == 93784.0
    assert hs.parse_uptime("nothing") is None


def test_backend_judgement():
    assert hs.judge_backend(view()).status == "pass"
    down = hs.judge_backend(view(backend_status="DOWN", server_status="DOWN", check="L4CON"))
    assert down.status == "fail" and "refuses connections" in down.summary
    tout = hs.judge_backend(view(backend_status="DOWN", server_status="DOWN", check="L4TOUT"))
    assert tout.status == "fail" and "does not answer" in tout.summary
    hung = hs.judge_backend(view(backend_status="DOWN", server_status="DOWN", check="L7TOUT"))
    assert hung.status == "fail" and "the PVS is hung" in hung.summary
    # While a check runs haproxy marks it "* ": the status is what follows.
    assert view(check="* L7TOUT").check_status == "L7TOUT"
    assert hs.judge_backend(view(qcur=2)).status == "warn"
    assert hs.judge_backend(view(h5=5, h2=5)).status == "warn"
    assert hs.judge_backend(None).status == "fail"


def test_an_unanswered_connection_is_told_apart_from_a_refused_one():
    """The role's check reaches the PVS through a hop, so haproxy reports L4CON for both:
    a refusal at once, an unanswered connection only after the hop's connect timeout."""
    refused = {"check_status": "L4CON", "check_duration": "0"}
    unanswered = {"check_status": "* L4CON", "check_duration": "2002"}
    assert hs.check_status(refused) == "L4CON"
    assert hs.check_status(unanswered) == "L4TOUT"
    assert hs.check_status({"check_status": "L7TOUT", "check_duration": "3001"}) == "L7TOUT"
    assert hs.check_status({"check_status": "L4CON"}) == "L4CON"  # older haproxy, no field


def test_queue_is_read_from_the_queue_backend():
    """The role queues clients in pvs_queue, in front of the PVS side (pvs_http)."""
    text = csv(qcur=0) + "\npvs_queue,BACKEND,4,9,0,50,UP,,,50,0,1,0"
    queued = hs.backend_view(hs.parse_stats_csv(text))
    assert (queued.queue, queued.queue_max) == (4, 9)
    assert hs.judge_backend(queued).status == "warn"


def test_rate_judgement():
    assert hs.judge_rate(view(stot=2000), 3600).status == "warn"  # 33/min
    assert hs.judge_rate(view(stot=20), 3600).status == "pass"  # one per 3 min
    assert hs.judge_rate(view(stot=20), 30).status == "info"  # too early


def sup(**kw):
    d = {
        "DEVICE_TYPE": "PVS",
        "STATE": "working",
        "MODEL": "PV Supervisor PVS6",
        "SWVER": "2021.9, Build 41001",
        "dl_uptime": "85428",
        "dl_flash_avail": "67546",
        "DATATIME": "2021,10,27,07,25,00",
        "CURTIME": "2021,10,27,07,28,13",
    }
    d.update(kw)
    return d


def test_supervisor_uptime_flash():
    assert pj.judge_supervisor(sup()).status == "pass"
    assert pj.judge_supervisor(sup(STATE="error")).status == "warn"
    assert pj.judge_supervisor(None).status == "fail"
    recent = pj.judge_uptime(34.0)
    assert recent.status == "warn" and "restarted" in recent.summary
    assert pj.judge_uptime(85428.0).status == "pass"
    assert pj.judge_flash(67546.0).status == "pass"
    assert pj.judge_flash(5000.0).status == "warn"
    assert pj.judge_flash(None, 95.0).status == "warn"


def test_untransmitted_trend():
    assert pj.judge_untransmitted(5000, None, 1000.0).status == "info"
    grew = pj.judge_untransmitted(6000, {"value": 5000, "time": 0}, 3600.0)
    assert grew.status == "warn" and "stuck" in grew.summary
    assert pj.judge_untransmitted(6000, {"value": 5000, "time": 0}, 60.0).status == "info"
    assert pj.judge_untransmitted(5001, {"value": 5000, "time": 0}, 3600.0).status == "info"
    assert pj.judge_untransmitted(10, {"value": 5000, "time": 0}, 3600.0).status == "pass"


def test_untransmitted_state_file(tmp_path):
    pj.save_current(tmp_path, "ZT1", 100.0, 1000.0)
    pj.save_current(tmp_path, "ZT1", 150.0, 2000.0)  # keeps the older baseline
    assert pj.load_previous(tmp_path, "ZT1") == {"value": 100.0, "time": 1000.0}
    pj.save_current(tmp_path, "ZT1", 50.0, 3000.0)  # went down: new baseline
    assert pj.load_previous(tmp_path, "ZT1")["value"] == 50.0
    assert pj.load_previous(None, "ZT1") is None


def test_untransmitted_state_file_is_private(tmp_path):
    state = tmp_path / "doctor"
    pj.save_current(state, "k", 100.0, 1000.0)
    assert (state.stat().st_mode & 0o777) == 0o700
    assert ((state / "untransmitted.json").stat().st_mode & 0o777) == 0o600


def meter(kind, kwh="12.5", state="working"):
    return {
        "DEVICE_TYPE": "Power Meter",
        "TYPE": f"PVS5-METER-{kind.upper()}",
        "MODEL": f"PVS6M0400{kind}",
        "STATE": state,
        "SERIAL": f"M{kind}",
        "net_ltea_3phsum_kwh": kwh,
    }


def test_meters():
    assert pj.judge_meters([meter("p"), meter("c")]).status == "pass"
    no_kit = pj.judge_meters([meter("p"), meter("c", kwh="0")])
    assert no_kit.status == "info" and "no metering kit" in no_kit.summary
    assert pj.judge_meters([]).status == "warn"
    assert pj.judge_meters([meter("c")]).status == "warn"
    assert pj.judge_meters([meter("p", state="error"), meter("c")]).status == "warn"


def inv(state):
    return {"DEVICE_TYPE": "Inverter", "STATE": state, "SERIAL": "E1"}


def at(hour):
    return dt.datetime(2026, 6, 1, hour, 0)


def test_inverters_night_and_day():
    night = pj.judge_inverters([inv("error")] * 3, at(23))
    assert night.status == "info" and "normal" in night.summary
    day = pj.judge_inverters([inv("error")] * 3, at(12))
    assert day.status == "warn" and "daytime" in day.summary
    assert pj.judge_inverters([inv("working")] * 3, at(12)).status == "pass"
    assert pj.judge_inverters([inv("working"), inv("error")], at(12)).status == "warn"
    assert pj.judge_inverters([], at(12)).status == "warn"


def test_datatime_staleness():
    fresh = pj.judge_datatime(sup(), [], [])
    assert fresh.status == "pass"
    stale_meter = dict(meter("p"), DATATIME="2021,10,27,06,00,00", CURTIME="2021,10,27,07,28,13")
    f = pj.judge_datatime(sup(), [stale_meter], [])
    assert f.status == "warn" and "Mp" in f.detail
    assert pj.judge_datatime(None, [], []).status == "info"
    stale_sup = pj.judge_datatime(
        sup(SERIAL="ZT190585000549A6185", DATATIME="2021,10,27,06,00,00"), [], []
    )
    assert stale_sup.status == "warn" and "A6185" not in stale_sup.detail
