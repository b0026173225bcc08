"""The simulated PVS and its devices: what DeviceList and the varserver report.

Values behave like a real site: the supervisor's DATATIME sits on the 5-minute grid and
inverter data only changes there; meters refresh every 5 s; energy counters only grow;
production follows the time of day; inverters report STATE "error" at night; dl_uptime
restarts from a small number after a simulated restart (`reboot()`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge_cli.simulator import solar
from bridge_cli.simulator.formats import INSTALLED_AT, fmt_iso, fmt_time, num  # noqa: F401

NEW_FIRMWARE_BUILD = 61840  # builds from this one on serve the authenticated HTTPS API
LEGACY_BUILD = 41001
# A PVS5 numbers its builds apart: the 2025 API from about build 5408 (field notes,
# /work/shared/reference/pvs-api-field-notes.md "Two firmware generations").
PVS5_NEW_FIRMWARE_BUILD = 5408
PVS5_LEGACY_BUILD = 5002
PVS_MODELS = ("PVS6", "PVS5")
DEFAULT_SERIAL = "ZT214385001823A0748"
INVERTER_PEAK_KW = 0.30  # one SPR-X22-360 AC module, derated
GRID_SECONDS = 300  # the supervisor's DATATIME grid
METER_SECONDS = 5  # how often meters refresh


def parse_build(value: str | int, field: str = "build") -> int | str:
    """A firmware for a run-time switch: 'legacy' or a build number (1-999999)."""
    from bridge_cli.errors import BridgeInputError

    text = str(value).strip().lower()
    if text == "legacy":
        return text
    if text.isdigit() and 1 <= int(text) <= 999999:
        return int(text)
    raise BridgeInputError(field, f"{value!r}: use 'legacy' or a build number (1-999999)")


@dataclass
class SiteModel:
    serial: str = DEFAULT_SERIAL
    inverters: int = 12
    build: int = LEGACY_BUILD
    metering_kit: bool = True
    ess: bool = False
    timezone: str = "America/Los_Angeles"
    clock: Callable[[], float] = time.time
    booted_at: float = field(default=0.0)
    boots: int = 1
    writable: dict[str, str] = field(default_factory=lambda: {"/sys/telemetryws/enable": "0"})
    pvs_model: str = "PVS6"  # or "PVS5": no telemetry WebSocket, no BUILD in supervisor/info
    # After a reboot the inverters reappear one by one, this many real seconds apart
    # (0: all at once). A real PVS finds its micro-inverters again over minutes.
    inverter_return_seconds: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        if self.ess:  # battery settings, writable (pypvs doc/varserver-variables-public-pvs6.csv)
            self.writable.setdefault("/ess/config/dcm/mode_param/control_mode", "STANDBY")
            self.writable.setdefault("/ess/config/dcm/control_param/min_customer_soc", "0.30")
        if not self.booted_at:
            # A PVS that has been up for about a day when the simulator starts.
            self.booted_at = self.clock() - 85428

    # ----- identity -------------------------------------------------------------
    @property
    def new_firmware(self) -> bool:
        if self.pvs5:
            return self.build >= PVS5_NEW_FIRMWARE_BUILD
        return self.build >= NEW_FIRMWARE_BUILD

    @property
    def pvs5(self) -> bool:
        return self.pvs_model == "PVS5"

    @property
    def password(self) -> str:
        """The 2025 API's ssm_owner password: the serial's last 5 characters, upper case."""
        return self.serial[-5:].upper()

    @property
    def swver(self) -> str:
        # "2025.09, Build 61845" is what a PVS6 on the autumn 2025 firmware reports
        # (krbaker/hass-sunpower issue #125, supervisor/info pasted by a user).
        year = "2025.09" if self.new_firmware else "2021.9"
        return f"{year}, Build {self.build}"

    @property
    def meter_serial(self) -> str:
        digits = "".join(c for c in self.serial if c.isdigit())[-8:].rjust(8, "0")
        return f"PVS6M{digits}"

    def inverter_serial(self, i: int) -> str:
        return f"E0012212{5000000 + i + 1:07d}"

    def reboot(self) -> None:
        with self._lock:
            self.booted_at = self.clock()
            self.boots += 1
            self._rebooted_real = time.monotonic()

    def visible_inverters(self) -> int:
        """How many inverters the PVS reports now: all, or, shortly after a reboot with
        `inverter_return_seconds`, only those found again so far (one per interval)."""
        since = getattr(self, "_rebooted_real", None)
        if since is None or self.inverter_return_seconds <= 0:
            return self.inverters
        found = int((time.monotonic() - since) / self.inverter_return_seconds)
        return max(0, min(self.inverters, found))

    def uptime(self) -> float:
        return max(0.0, self.clock() - self.booted_at)

    # ----- physics ----------------------------------------------------------------
    def _inverter_peak(self, i: int) -> float:
        return INVERTER_PEAK_KW * (0.92 + 0.08 * ((i * 37) % 11) / 10)

    def site_peak_kw(self) -> float:
        return sum(self._inverter_peak(i) for i in range(self.inverters))

    def _since_install(self, func: Callable[[float], float], t: float) -> float:
        return max(0.0, func(t) - func(INSTALLED_AT))

    def inverter_kw(self, i: int, t: float) -> float:
        return self._inverter_peak(i) * solar.sun_fraction(t, self.timezone)

    def inverter_kwh(self, i: int, t: float) -> float:
        hours = self._since_install(lambda x: solar.sun_hours(x, self.timezone), t)
        return self._inverter_peak(i) * hours

    def production_kw(self, t: float) -> float:
        sun = solar.sun_fraction(t, self.timezone)
        if sun <= 0:
            return -solar.INVERTER_NIGHT_KW * self.inverters
        return self.site_peak_kw() * sun

    def production_kwh(self, t: float) -> float:
        return sum(self.inverter_kwh(i, t) for i in range(self.inverters))

    def load_kw(self, t: float) -> float:
        return solar.load_kw(t, self.timezone)

    def load_kwh(self, t: float) -> float:
        return self._since_install(lambda x: solar.load_kwh(x, self.timezone), t)

    def grid_kwh(self, t: float) -> tuple[float, float]:
        peak, night = self.site_peak_kw(), solar.INVERTER_NIGHT_KW * self.inverters
        now_imp, now_exp = solar.grid_kwh(t, self.timezone, peak, night)
        base_imp, base_exp = solar.grid_kwh(INSTALLED_AT, self.timezone, peak, night)
        return max(0.0, now_imp - base_imp), max(0.0, now_exp - base_exp)

    # ----- legacy DeviceList ----------------------------------------------------------
    def device_list(self) -> dict:
        now = self.clock()
        devices = [self.supervisor_device(now), *self.meter_devices(now)]
        devices += [self.inverter_device(i, now) for i in range(self.visible_inverters())]
        if self.ess:
            devices += self.ess_devices(now)
        return {"devices": devices, "result": "succeed"}

    def supervisor_device(self, now: float) -> dict:
        grid = now - now % GRID_SECONDS
        uptime = int(self.uptime())
        return {
            "DETAIL": "detail",
            "STATE": "working",
            "STATEDESCR": "Working",
            "SERIAL": self.serial,
            "MODEL": "PV Supervisor PVS6",
            "HWVER": "6.02",
            "SWVER": self.swver,
            "DEVICE_TYPE": "PVS",
            "DATATIME": fmt_time(grid),
            "dl_err_count": "0",
            "dl_comm_err": str(480 + self.boots),
            "dl_skipped_scans": "0",
            "dl_scan_time": "1",
            "dl_untransmitted": str(5539 + (int(now) // GRID_SECONDS) % 97),
            "dl_uptime": str(uptime),
            "dl_cpu_load": num(0.35 + 0.1 * ((int(grid) // GRID_SECONDS) % 5) / 4, 2),
            "dl_mem_used": str(73704 + uptime // 3600 % 400),
            "dl_flash_avail": "65348",
            "panid": 1234567890,
            "CURTIME": fmt_time(now),
        }

    def _meter_common(self, kind: str, now: float) -> dict:
        serial = f"{self.meter_serial}{kind}"
        return {
            "ISDETAIL": True,
            "SERIAL": serial,
            "TYPE": f"PVS5-METER-{kind.upper()}",
            "STATE": "working",
            "STATEDESCR": "Working",
            "MODEL": f"PVS6M0400{kind}",
            "DESCR": f"Power Meter {serial}",
            "DEVICE_TYPE": "Power Meter",
            "SWVER": "3000",
            "PORT": "",
            "DATATIME": fmt_time(now - now % METER_SECONDS),
        }

    def meter_values(self, now: float) -> dict:
        """Numbers behind both meters at the last meter refresh (floats, kW/kWh/V/A)."""
        t = now - now % METER_SECONDS
        prod_kw = self.production_kw(t)
        prod_kwh = self.production_kwh(t)
        load = self.load_kw(t) if self.metering_kit else 0.0
        imported, exported = self.grid_kwh(t) if self.metering_kit else (0.0, 0.0)
        net_kw = load - prod_kw if self.metering_kit else 0.0
        v1, v2 = 120.2 + 0.4 * solar.sun_fraction(t, self.timezone), 120.05
        return {
            "time": t,
            "prod_kw": prod_kw,
            "prod_kwh": prod_kwh,
            "load_kw": load,
            "load_kwh": self.load_kwh(t) if self.metering_kit else 0.0,
            "net_kw": net_kw,
            "import_kwh": imported,
            "export_kwh": exported,
            "v1": v1,
            "v2": v2,
            "freq": 60.0 - 0.01 * ((int(t) // METER_SECONDS) % 3),
        }

    def meter_readings(self, now: float) -> tuple[dict, dict]:
        """The production and consumption meters' figures (legacy DeviceList names); the
        2025 API's /vars report the same figures under camelCase names."""
        m = self.meter_values(now)
        prod, net = m["prod_kw"], m["net_kw"]
        production = {
            "ct_scl_fctr": "50",
            "net_ltea_3phsum_kwh": num(m["prod_kwh"], 2),
            "p_3phsum_kw": num(prod),
            "q_3phsum_kvar": num(prod * 0.05),
            "s_3phsum_kva": num(abs(prod) * 1.0013),
            "tot_pf_rto": num(0.999 if prod > 0 else 0.0, 3),
            "freq_hz": num(m["freq"], 2),
        }
        consumption = {
            "ct_scl_fctr": "100",
            "net_ltea_3phsum_kwh": num(m["import_kwh"] - m["export_kwh"], 2),
            "p_3phsum_kw": num(net),
            "q_3phsum_kvar": num(abs(net) * 0.12),
            "s_3phsum_kva": num(abs(net) * 1.05),
            "tot_pf_rto": num(0.95 if self.metering_kit else 0.0, 3),
            "freq_hz": num(m["freq"], 2),
            "i1_a": num(abs(net) * 500 / m["v1"]),
            "i2_a": num(abs(net) * 500 / m["v2"]),
            "v1n_v": num(m["v1"]),
            "v2n_v": num(m["v2"]),
            "v12_v": num(m["v1"] + m["v2"]),
            "p1_kw": num(net / 2),
            "p2_kw": num(net / 2),
            "neg_ltea_3phsum_kwh": num(m["import_kwh"], 2),
            "pos_ltea_3phsum_kwh": num(m["export_kwh"], 2),
        }
        return production, consumption

    def meter_devices(self, now: float) -> list[dict]:
        production, consumption = self.meter_readings(now)
        tail = {"origin": "data_logger", "OPERATION": "noop", "CURTIME": fmt_time(now)}
        return [
            self._meter_common("p", now) | production | {"CAL0": "50"} | tail,
            self._meter_common("c", now) | consumption | {"CAL0": "100"} | tail,
        ]

    def inverter_values(self, i: int, now: float) -> dict | None:
        """An inverter's numbers at the last 5-minute scan; None when unpowered (night)."""
        t = now - now % GRID_SECONDS
        kw = self.inverter_kw(i, t)
        if kw <= 0.002:
            return None
        v_ac, v_dc = 240.1 + (i % 5) * 0.3, 54.8 + (i % 7) * 0.2
        dc_kw = kw / 0.965
        return {
            "time": t,
            "kw": kw,
            "kwh": self.inverter_kwh(i, t),
            "v_ac": v_ac,
            "i_ac": kw * 1000 / v_ac,
            "freq": 60.0,
            "v_dc": v_dc,
            "i_dc": dc_kw * 1000 / v_dc,
            "dc_kw": dc_kw,
            "temp": 18 + 27 * kw / self._inverter_peak(i),
        }

    def inverter_device(self, i: int, now: float) -> dict:
        serial = self.inverter_serial(i)
        values = self.inverter_values(i, now)
        device: dict = {
            "ISDETAIL": True,
            "SERIAL": serial,
            "TYPE": "SOLARBRIDGE",
            "STATE": "working" if values else "error",
            "STATEDESCR": "Working" if values else "Error",
            "MODEL": "AC_Module_Type_E",
            "DESCR": f"Inverter {serial}",
            "DEVICE_TYPE": "Inverter",
            "hw_version": "4403",
            "interface": "mime",
            "module_serial": f"R36M2{i + 1:07d}",
            "PANEL": "SPR-X22-360-E-AC",
            "slave": 0,
            "SWVER": "4.21.4",
            "PORT": "",
            "MOD_SN": f"R36M2{i + 1:07d}",
            "NMPLT_SKU": "",
        }
        if values:
            device |= {
                "DATATIME": fmt_time(values["time"]),
                "ltea_3phsum_kwh": num(values["kwh"]),
                "p_3phsum_kw": num(values["kw"]),
                "vln_3phavg_v": num(values["v_ac"]),
                "i_3phsum_a": num(values["i_ac"], 2),
                "p_mppt1_kw": num(values["dc_kw"]),
                "v_mppt1_v": num(values["v_dc"]),
                "i_mppt1_a": num(values["i_dc"], 2),
                "t_htsnk_degc": str(round(values["temp"])),
                "freq_hz": num(values["freq"], 2),
                "stat_ind": "0",
            }
        return device | {"origin": "data_logger", "OPERATION": "noop", "CURTIME": fmt_time(now)}

    def ess_devices(self, now: float) -> list[dict]:
        """The SunVault devices the guide shows (mostly static, as documented there)."""
        from bridge_cli.simulator.ess import ess_devices

        return ess_devices(self, now)
