"""The legacy API: /cgi-bin/dl_cgi?Command=... and the REST-style dl_cgi paths."""

from __future__ import annotations

from bridge_cli.simulator.ess import ess_status
from bridge_cli.simulator.model import SiteModel
from bridge_cli.simulator.responses import Response, json_response, unknown_command

DL_CGI = "/cgi-bin/dl_cgi"
REST_PATHS = ("supervisor/info", "devices/list", "energy-storage-system/status")
LOCKED_BODY = {"status": 403, "error": "Unauthorized", "path": ""}

ACTIVE_PROFILE = ("IEEE-1547a-2014 + 2020 CA Rule21", "816bf3302d337a42680b996227ddbc46abf9cd05")
GRID_PROFILES = [
    (True, [{"max": 96898, "min": 96701}], "8c9c4170457c88f6dcee7216357681d580a3b9bd",
     "HECO OMH R14H (Legacy)"),
    (True, [{"max": 96898, "min": 96701}], "f169fe0dc993987c5f105df9d651a284e8031c5a",
     "HI GSUI OMH R14H 2018"),
    (False, [{"max": 96162, "min": 90001}], ACTIVE_PROFILE[1], ACTIVE_PROFILE[0]),
    (False, [{"max": -1, "min": -1}], "db54e057f901db5d7907af561688f0af555c563d",
     "CA CPUC R21 Reactive Power Priority"),
    (False, [{"max": 81699, "min": 80001}], "241bcb432a5cac09a6be33a8fded6f67597a6737",
     "Xcel Energy PF (0.98 provide var)"),
    (False, [{"max": 999999, "min": 0}], "471080f62a24d8be88f58864c398717c11bb876b",
     "IEEE-1547a-2014"),
]  # fmt: skip


def command_key(path: str, params: dict[str, str]) -> str:
    """The counters' name for a dl_cgi request: the Command, or the REST path."""
    if path == DL_CGI:
        return params.get("Command") or "(no command)"
    return path[len(DL_CGI) + 1 :]


def supervisor_info(model: SiteModel) -> dict:
    """The open `dl_cgi/supervisor/info` (field list as users pasted it from a PVS6 on build
    61839/61845: smcneece/ha-esunpower issue #29, krbaker/hass-sunpower issue #125). A PVS5
    reports no BUILD (field notes), so clients must read the build from SWVER."""
    info = {
        "SWVER": model.swver,
        "SERIAL": model.serial,
        "MODEL": model.pvs_model,
        "BUILD": model.build,
        "FWVER": "1.0.0",
        "SCVER": 16504,
        "EASICVER": 131329,
        "SCBUILD": 1185,
        "WNSERIAL": 16,
        "WNMODEL": 400,
        "WNVER": 3000,
    }
    if model.pvs5:
        del info["BUILD"]
    return info


def get_comm(model: SiteModel) -> dict:
    now = int(model.clock())
    interfaces = [
        {"interface": "wan", "internet": "down", "ipaddr": "", "link": "disconnected",
         "mode": "wan", "sms": "unreachable", "state": "down"},
        {"interface": "plc", "internet": "down", "ipaddr": "", "link": "disconnected",
         "pairing": "unpaired", "sms": "unreachable", "speed": 0, "state": "down"},
        {"interface": "sta0", "internet": "up", "ipaddr": "192.168.1.73", "link": "connected",
         "mode": "sta", "sms": "reachable", "ssid": "HomeWiFi", "state": "up",
         "status": "connected"},
        {"interface": "cell", "internet": "down", "ipaddr": "", "is_always_on": False,
         "is_primary": False, "link": "connected", "modem": "MODEM_OK", "provider": "UNKNOWN",
         "signal": 0, "sim": "SIM_READY", "sms": "unreachable", "state": "DOWN",
         "status": "NOT_REGISTERED"},
    ]  # fmt: skip
    return {
        "networkstatus": {
            "interfaces": interfaces,
            "system": {"interface": "sta0", "internet": "up", "sms": "reachable"},
            "ts": str(now),
        },
        "result": "succeed",
    }


def grid_profiles() -> dict:
    profiles = [
        {
            "selfsupply": self_supply,
            "zipcodes": zipcodes,
            "default": False,
            "filename": f"{profile_id[:8]}.meta",
            "id": profile_id,
            "name": name,
        }
        for self_supply, zipcodes, profile_id, name in GRID_PROFILES
    ]
    return {"result": "succeed", "success": True, "creation": 1633117200, "profiles": profiles}


def handle_command(model: SiteModel, command: str) -> Response:
    """Answer `?Command=<command>` the way a legacy PVS does."""
    if command in ("DeviceList",):
        return json_response(model.device_list(), dlcgi=True)
    simple = {
        "Get_Comm": lambda: get_comm(model),
        "Start": lambda: {"result": "succeed", "supervisor": supervisor_info(model)},
        "Stop": lambda: {"result": "succeed"},
        "CheckFW": lambda: {"url": "none"},
        "GridProfileGet": lambda: {
            "result": "succeed",
            "active_name": ACTIVE_PROFILE[0],
            "active_id": ACTIVE_PROFILE[1],
            "pending_name": ACTIVE_PROFILE[0],
            "pending_id": ACTIVE_PROFILE[1],
            "percent": 100,
            "supported_by": "ALL",
            "status": "success",
        },
        "GridProfileRefresh": grid_profiles,
        "GetCellPurchased": lambda: {"cell_purchased": "null"},
        "SetCellPurchased": lambda: {"cell_purchased": "null", "result": "succeed"},
        "GetDiscoveryProgress": lambda: {
            "complete": True,
            "progress": [{"TYPE": "MicroInverters", "PROGR": 100, "NFOUND": 0}],
            "result": "succeed",
        },
    }
    if command in simple:
        return json_response(simple[command](), dlcgi=True)
    return unknown_command()  # DeviceDetails, typos, no Command at all


def handle(model: SiteModel, path: str, params: dict[str, str]) -> Response:
    """Route one dl_cgi request (path already known to start with /cgi-bin/dl_cgi)."""
    rest = path[len(DL_CGI) + 1 :] if path != DL_CGI else ""
    if rest == "supervisor/info":
        return json_response({"supervisor": supervisor_info(model)}, dlcgi=True)
    if model.new_firmware:
        # Builds 61845/61846: the old API is locked, even with a session cookie.
        return json_response(LOCKED_BODY, 403)
    if rest == "devices/list":
        return json_response(model.device_list(), dlcgi=True)
    if rest == "energy-storage-system/status" and model.ess:
        return json_response(ess_status(model, model.clock()), dlcgi=True)
    if rest:
        return unknown_command()
    return handle_command(model, params.get("Command", ""))
