"""Optional SunVault (ESS) devices, as the guide shows them, and their 2025-API variables."""

from __future__ import annotations

from typing import Protocol

from bridge_cli.simulator import solar
from bridge_cli.simulator.formats import INSTALLED_AT, fmt_iso, fmt_time, num


class Site(Protocol):
    """What the battery model needs of the site (simulator.model.SiteModel)."""

    timezone: str

ESS_SERIAL = "00001ABC1234_01234567890ABCDEF"


def _soc(model: Site, t: float) -> float:
    """State of charge 0..1: charges with the sun, drains in the evening."""
    _, hour = solar.local_day_hour(t, model.timezone)
    if hour < 8:
        return 0.35 - 0.02 * hour
    if hour < 15:
        return 0.19 + 0.8 * (hour - 8) / 7
    return max(0.2, 0.99 - 0.08 * (hour - 15))


def ess_devices(model: Site, now: float) -> list[dict]:

    cur = fmt_time(now)
    data = fmt_time(now - now % 5)
    common = {"origin": "data_logger", "OPERATION": "noop", "CURTIME": cur}

    def dev(serial: str, type_: str, model_name: str, descr: str, device_type: str, **extra):
        state = extra.pop("state", "working")
        return {
            "ISDETAIL": True,
            "SERIAL": serial,
            "TYPE": type_,
            "STATE": state,
            "STATEDESCR": state.capitalize(),
            "MODEL": model_name,
            "DESCR": f"{descr} {serial}",
            "DEVICE_TYPE": device_type,
            **extra,
            **common,
        }

    return [
        dev("SY01234567890ABCDEF", "HUB+", "SunPower MIDC", "HUB+", "HUB+",
            hw_version="1.5.0", interface="ttymxc5", slave=220, SWVER="0.7.22",
            PORT="P0, Modbus, Slave 220", DATATIME=data, t_degc="31", humidity="24",
            v1n_grid_v=num(120.4), v2n_grid_v=num(120.1), main_voltage_v=num(240.5)),
        dev("SY01234567890ABCDEG", "EQUINOX-MIO", "SunPower MIO", "ESS Hub", "ESS Hub",
            hw_version="", interface="", parent=11, slave=221, SWVER="0.7.10",
            PORT="P0, Modbus, Slave 221", DATATIME=data, t_degc="36", humidity="20",
            v_dcdc_spply_v="11.43", v_spply_v="11.364", v_gateway_v="11.419",
            fan_actv_fl="0", fw_error="0", event_history="2112", PARENT=ESS_SERIAL),
        dev("SY01234567890ABCDEH", "PV-DISCONNECT", "SunPower PV Disconnect Relay",
            "PV Disconnect", "PV Disconnect", slave=230, SWVER="0.2.13",
            PORT="P0, Modbus, Slave 230", DATATIME=data, event_history="32", fw_error="0",
            relay_mode="0", relay1_state="1", relay2_state="1", relay1_error="0",
            relay2_error="0", v1n_grid_v="122.8", v2n_grid_v="122.5", v1n_pv_v="122.8",
            v2n_pv_v="122.5"),
        dev("BC1234006789", "GATEWAY", "SchneiderElectric-ConextGateway", "Gateway", "Gateway",
            interface="sunspec", mac_address="d8:a9:ab:cd:12:34", SWVER="V1",
            PORT="P0, SunSpec, Slave 1"),
        dev("00001ABC1234", "SCHNEIDER-XWPRO", "SchneiderElectric-XW6848-21",
            "Storage Inverter", "Storage Inverter", interface="sunspec",
            mac_address="d8:a9:ab:cd:12:35", parent=11, slave=10, SWVER="V1",
            PORT="P0, SunSpec, Slave 10", PARENT=ESS_SERIAL),
        dev("BC123400678933751040", "EQUINOX-BMS", "SchneiderElectric-SP1", "ESS BMS",
            "ESS BMS", interface="sunspec", mac_address="d8:a9:ab:cd:12:36", parent=11,
            slave=230, PORT="P0, SunSpec, Slave 230", PARENT=ESS_SERIAL),
        dev("M00122109A0355", "BATTERY", "POWERAMP-Komodo 1.2", "Battery", "Battery",
            hw_version="4.34", interface="none", parent=11, SWVER="2.8",
            PORT="P0, None, Slave -1", PARENT=ESS_SERIAL),
        dev("M00122109A0356", "BATTERY", "POWERAMP-Komodo 1.2", "Battery", "Battery",
            hw_version="4.34", interface="none", parent=11, SWVER="2.8",
            PORT="P0, None, Slave -1", PARENT=ESS_SERIAL),
        dev(ESS_SERIAL, "EQUINOX-ESS", "SPWR-Equinox-model", "Energy Storage System",
            "Energy Storage System", hw_version="", interface="none", SWVER="",
            PORT="P0, Parent, Slave -1"),
    ]  # fmt: skip


def ess_power_kw(model: Site, t: float) -> float:
    """Battery power, kW: negative while charging (midday), positive while discharging."""
    _, hour = solar.local_day_hour(t, model.timezone)
    if 8 <= hour < 15:
        return -1.6
    if 17 <= hour < 22:
        return 1.2
    return 0.1


def ess_status(model: Site, now: float) -> dict:
    """/cgi-bin/dl_cgi/energy-storage-system/status (shape approximated from public clients)."""

    soc = _soc(model, now)
    stamp = fmt_iso(now - now % 5)

    def unit(value: float, unit_: str) -> dict:
        return {"value": round(value, 3), "unit": unit_}

    return {
        "errors": [],
        "ess_report": {
            "battery_status": [
                {
                    "serial_number": serial,
                    "battery_amperage": unit(-ess_power_kw(model, now) * 10, "A"),
                    "battery_voltage": unit(52.1, "V"),
                    "customer_state_of_charge": unit(soc * 100, "%"),
                    "system_state_of_charge": unit(soc * 100, "%"),
                    "temperature": unit(24.0, "C"),
                    "last_updated": stamp,
                }
                for serial in ("M00122109A0355", "M00122109A0356")
            ],
            "ess_status": [
                {
                    "serial_number": "BC123400678933751040",
                    "enclosure_humidity": unit(20, "%"),
                    "enclosure_temperature": unit(31, "C"),
                    "ess_meter_reading": {
                        "agg_power": unit(ess_power_kw(model, now), "kW"),
                        "meter_a": {"reading": {"current": unit(5.0, "A")}},
                        "meter_b": {"reading": {"current": unit(5.0, "A")}},
                    },
                    "last_updated": stamp,
                }
            ],
            "hub_plus_status": {
                "serial_number": "SY01234567890ABCDEF",
                "grid_voltage_state": "GRID_IN_RANGE",
                "main_voltage": unit(240.5, "V"),
                "last_updated": stamp,
            },
        },
        "last_updated": stamp,
    }


def ess_vars(model: Site, now: float) -> dict[str, str]:

    t = now - now % 5
    soc = _soc(model, t)
    kw = ess_power_kw(model, t)
    base = "/sys/devices/ess/0/"
    return {
        base + "sn": ESS_SERIAL,
        base + "prodMdlNm": "SPWR-Equinox-model",
        base + "msmtEps": fmt_iso(t),
        base + "opMode": "SELF_CONSUMPTION",
        base + "p3phsumKw": num(kw),
        base + "negLtea3phsumKwh": num(max(0.0, t - INSTALLED_AT) / 86400 * 4.1, 2),
        base + "posLtea3phsumKwh": num(max(0.0, t - INSTALLED_AT) / 86400 * 3.7, 2),
        base + "v1nV": "120.4",
        base + "v2nV": "120.1",
        base + "socVal": num(soc, 3),
        base + "customerSocVal": num(soc, 3),
        base + "sohVal": "0.98",
        base + "tInvtrDegc": "31",
        base + "vBattV": "52.1",
        base + "chrgLimitPmaxKw": "6.8",
        base + "dischrgLimPmaxKw": "6.8",
        base + "maxTBattCellDegc": "25",
        base + "minTBattCellDegc": "23",
        base + "maxVBattCellV": "3.31",
        base + "minVBattCellV": "3.29",
    }
