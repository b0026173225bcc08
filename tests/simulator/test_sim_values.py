"""Values behave like a real PVS, and parse the way the guide documents them."""

from __future__ import annotations

import calendar
import re

import pytest
from simhttp import get_json

from bridge_cli.simulator.model import SiteModel
from bridge_cli.simulator.server import SimulatorConfig

DL = "/cgi-bin/dl_cgi?Command=DeviceList"
NOON = calendar.timegm((2026, 6, 21, 20, 0, 7))  # 12:00:07 PST (solar noon, Los Angeles)
NIGHT = calendar.timegm((2026, 6, 21, 10, 3, 12))  # 02:03:12 PST
TIME_RE = re.compile(r"^\d{4},\d\d,\d\d,\d\d,\d\d,\d\d$")


class Clock:
    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


def devices(sim) -> list[dict]:
    status, data = get_json(sim.http_url, DL)
    assert status == 200 and data["result"] == "succeed"
    return data["devices"]


def test_fields_parse_as_the_guide_documents(make_sim):
    sim = make_sim(clock=Clock(NOON))
    sup, prod, cons, *inverters = devices(sim)
    # supervisor: strings, except panid (number); times are "YYYY,MM,DD,HH,MM,SS" UTC
    for key in (
        "dl_comm_err",
        "dl_skipped_scans",
        "dl_scan_time",
        "dl_untransmitted",
        "dl_uptime",
        "dl_mem_used",
        "dl_flash_avail",
        "dl_err_count",
    ):
        assert isinstance(sup[key], str) and sup[key].isdigit(), key
    float(sup["dl_cpu_load"])
    assert isinstance(sup["panid"], int)
    assert TIME_RE.match(sup["DATATIME"]) and TIME_RE.match(sup["CURTIME"])
    assert sup["CURTIME"] == "2026,06,21,20,00,07"
    # meters: ISDETAIL is a boolean, numbers are strings that parse as floats
    for meter in (prod, cons):
        assert meter["ISDETAIL"] is True and meter["DEVICE_TYPE"] == "Power Meter"
        for key in (
            "net_ltea_3phsum_kwh",
            "p_3phsum_kw",
            "q_3phsum_kvar",
            "s_3phsum_kva",
            "tot_pf_rto",
            "freq_hz",
            "ct_scl_fctr",
        ):
            assert isinstance(meter[key], str), key
            float(meter[key])
        assert meter["DESCR"] == f"Power Meter {meter['SERIAL']}"
    for key in (
        "i1_a",
        "i2_a",
        "v1n_v",
        "v2n_v",
        "v12_v",
        "p1_kw",
        "p2_kw",
        "neg_ltea_3phsum_kwh",
        "pos_ltea_3phsum_kwh",
    ):
        float(cons[key])
    assert 110 < float(cons["v1n_v"]) < 130 and 220 < float(cons["v12_v"]) < 260
    # inverters at noon: working, with the guide's performance fields
    for inv in inverters:
        assert inv["STATE"] == "working" and inv["STATEDESCR"] == "Working"
        assert inv["MOD_SN"] == inv["module_serial"]
        for key in (
            "ltea_3phsum_kwh",
            "p_3phsum_kw",
            "vln_3phavg_v",
            "i_3phsum_a",
            "p_mppt1_kw",
            "v_mppt1_v",
            "i_mppt1_a",
            "t_htsnk_degc",
            "freq_hz",
        ):
            float(inv[key])
        assert 0.2 < float(inv["p_3phsum_kw"]) < 0.31
    # production meter agrees with the inverters' sum
    total = sum(float(i["p_3phsum_kw"]) for i in inverters)
    assert float(prod["p_3phsum_kw"]) == pytest.approx(total, rel=0.05)  # fmt: skip


def test_datatime_grid(make_sim):
    sim = make_sim(clock=Clock(NOON + 3 * 60 + 41))  # 20:03:48 UTC
    sup, prod, cons, inv = devices(sim)[:4]
    assert sup["DATATIME"] == "2026,06,21,20,00,00"  # 5-minute grid
    assert inv["DATATIME"] == "2026,06,21,20,00,00"
    assert prod["DATATIME"] == "2026,06,21,20,03,45"  # meters: every 5 s
    assert sup["CURTIME"] == "2026,06,21,20,03,48"


def test_inverters_in_error_at_night(make_sim):
    sim = make_sim(clock=Clock(NIGHT))
    _, prod, _, *inverters = devices(sim)
    for inv in inverters:
        assert inv["STATE"] == "error" and inv["STATEDESCR"] == "Error"
        assert "p_3phsum_kw" not in inv and "DATATIME" not in inv
    assert float(prod["p_3phsum_kw"]) < 0  # the inverters' night draw


def test_production_follows_time_of_day():
    clock = Clock(NIGHT)
    model = SiteModel(inverters=10, clock=clock)
    samples = {}
    for hour_utc in (12, 14, 17, 20, 23, 1):  # 04, 06, 09, 12, 15, 17 PST
        clock.t = calendar.timegm((2026, 6, 21 if hour_utc > 5 else 22, hour_utc, 0, 0))
        samples[hour_utc] = model.production_kw(clock.t)
    assert samples[12] < 0 and samples[14] < 0  # before/at sunrise
    assert 0 < samples[17] < samples[20]  # morning rises to noon
    assert samples[20] > samples[23] > samples[1] > 0  # afternoon falls


def test_energy_counters_only_grow(make_sim):
    clock = Clock(NIGHT)
    sim = make_sim(clock=clock)
    last: dict[str, float] = {}
    for step in range(0, 26 * 3600, 2400):  # a whole day and a bit, every 40 min
        clock.t = NIGHT + step
        _, prod, cons, *inverters = devices(sim)
        values = {
            "prod": float(prod["net_ltea_3phsum_kwh"]),
            "import": float(cons["neg_ltea_3phsum_kwh"]),
            "export": float(cons["pos_ltea_3phsum_kwh"]),
        }
        for inv in inverters:
            if inv["STATE"] == "working":
                values[inv["SERIAL"]] = float(inv["ltea_3phsum_kwh"])
        for key, value in values.items():
            assert value >= last.get(key, 0.0), (key, clock.t)
            last[key] = value
    assert last["prod"] > 0 and last["import"] > 0 and last["export"] > 0


def test_uptime_resets_on_restart():
    clock = Clock(NOON)
    model = SiteModel(clock=clock)
    clock.t += 600
    before = int(model.supervisor_device(clock.t)["dl_uptime"])
    assert before > 80000
    model.reboot()
    clock.t += 90
    assert int(model.supervisor_device(clock.t)["dl_uptime"]) == 90


def test_no_metering_kit_consumption_meter_is_zero(make_sim):
    sim = make_sim(clock=Clock(NOON), metering_kit=False)
    _, prod, cons, *_ = devices(sim)
    assert cons["TYPE"] == "PVS5-METER-C"  # still listed
    for key in (
        "net_ltea_3phsum_kwh",
        "neg_ltea_3phsum_kwh",
        "pos_ltea_3phsum_kwh",
        "p_3phsum_kw",
        "p1_kw",
        "p2_kw",
        "i1_a",
        "i2_a",
    ):
        assert float(cons[key]) == 0, key
    assert float(prod["p_3phsum_kw"]) > 0


def test_realistic_latency_model():
    from bridge_cli.simulator.latency import delay

    legacy = SiteModel(inverters=24)
    assert delay("DeviceList", {}, legacy) == pytest.approx(6.3)  # guide: 6-7 s, 24 panels
    assert delay("devices/list", {}, legacy) == pytest.approx(6.3)
    assert delay("supervisor/info", {}, legacy) < 0.1
    new = SiteModel(inverters=24, build=61846)
    assert delay("DeviceList", {}, new) < 0.1  # locked: refused at once
    assert delay("vars", {"match": "/sys/devices/"}, new) > delay("vars", {"name": "x"}, new)


def test_realistic_latency_is_the_default_and_applies(make_sim):
    from simhttp import request

    assert SimulatorConfig().latency == "realistic"
    sim = make_sim(latency="realistic", inverters=4)  # DeviceList: 1.3 s
    with pytest.raises(TimeoutError):
        request(sim.http_url, DL, timeout=0.3)
