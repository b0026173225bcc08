"""The 2025 API (builds >= 61840): /auth login/logout and the /vars varserver, over HTTPS.

Login is `GET /auth?login` with `Authorization: basic base64(ssm_owner:<last 5 of serial>)`
("basic" in any case). Sessions are idle-timed (refreshed on every use) and expire after
`session_ttl` seconds (5 minutes by default, like the PVS).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from collections import OrderedDict

from bridge_cli.simulator.ess import ess_power_kw, ess_vars
from bridge_cli.simulator.model import SiteModel, fmt_iso, num
from bridge_cli.simulator.responses import Response, json_response

USER = "ssm_owner"
PUBLIC_VARS = ("/sys/info/serialnum", "/sys/info/ssid", "/sys/info/lmac")
UNAUTHORIZED = {"status": 401, "error": "Unauthorized", "path": ""}
MAX_SESSIONS = 256
MAX_CACHES = 64


def _bad(message: str) -> Response:
    return json_response({"status": 400, "error": message, "path": ""}, 400)


class Varserver:
    """Sessions, caches and variables of one simulated PVS (thread-safe)."""

    def __init__(self, model: SiteModel, session_ttl: float = 300.0):
        self.model = model
        self.session_ttl = session_ttl
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, float] = OrderedDict()  # id -> expiry (monotonic)
        self._caches: OrderedDict[str, list[str]] = OrderedDict()

    # ----- sessions ---------------------------------------------------------------
    def login(self, authorization: str | None) -> Response:
        if not self._credentials_ok(authorization):
            return json_response(UNAUTHORIZED, 401)
        token = secrets.token_hex(16)
        with self._lock:
            self._sessions[token] = time.monotonic() + self.session_ttl
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        response = json_response({"session": token})
        response.headers.append(("Set-Cookie", f"session={token}; Path=/; HttpOnly; Secure"))
        return response

    def logout(self, session: str | None) -> Response:
        with self._lock:
            known = session is not None and self._sessions.pop(session, None) is not None
        if not known:
            return json_response(UNAUTHORIZED, 401)
        response = json_response({"status": "logged out"})
        response.headers.append(("Set-Cookie", "session=; Path=/; Max-Age=0; HttpOnly; Secure"))
        return response

    def clear_sessions(self) -> None:
        """A reboot forgets every session and cache."""
        with self._lock:
            self._sessions.clear()
            self._caches.clear()

    def session_valid(self, session: str | None) -> bool:
        if not session:
            return False
        now = time.monotonic()
        with self._lock:
            expiry = self._sessions.get(session)
            if expiry is None:
                return False
            if expiry <= now:
                del self._sessions[session]
                return False
            self._sessions[session] = now + self.session_ttl
            return True

    def _credentials_ok(self, authorization: str | None) -> bool:
        if not authorization:
            return False
        scheme, _, encoded = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        return secrets.compare_digest(user, USER) and secrets.compare_digest(
            password.encode(), self.model.password.encode()
        )

    # ----- variables ----------------------------------------------------------------
    def variables(self) -> dict[str, str]:
        """Every variable the varserver offers right now, in a stable order."""
        m = self.model
        now = m.clock()
        info = {
            "/sys/info/serialnum": m.serial,
            "/sys/info/ssid": f"SunPower{m.serial[4:6]}{m.serial[-3:]}",
            "/sys/info/lmac": "00:22:f2:1a:07:48",
            "/sys/info/model": "PVS6",
            "/sys/info/sys_type": "PV Supervisor PVS6",
            "/sys/info/hwrev": "6.02",
            "/sys/info/sw_rev": m.swver,
            "/sys/info/uptime": f"{m.uptime():.2f}",
            "/sys/info/ram_usage": "24",
            "/sys/info/flash_usage": "41",
            "/sys/info/cpu_usage": str(6 + int(now) // 60 % 7),
        }
        meters = m.meter_values(now)
        live = {
            "/sys/livedata/time": str(int(meters["time"])),
            "/sys/livedata/pv_p": num(max(0.0, meters["prod_kw"])),
            "/sys/livedata/pv_en": num(meters["prod_kwh"], 3),
            "/sys/livedata/net_p": num(meters["net_kw"]),
            "/sys/livedata/net_en": num(meters["import_kwh"] - meters["export_kwh"], 3),
            "/sys/livedata/site_load_p": num(meters["load_kw"]),
            "/sys/livedata/site_load_en": num(meters["load_kwh"], 3),
        }
        if m.ess:
            ess = ess_vars(m, now)
            live |= {
                "/sys/livedata/ess_p": num(ess_power_kw(m, now)),
                "/sys/livedata/ess_en": num(float(ess["/sys/devices/ess/0/posLtea3phsumKwh"])),
                "/sys/livedata/soc": ess["/sys/devices/ess/0/socVal"],
                "/sys/livedata/backupTimeRemaining": "720",
                "/sys/livedata/midstate": "CLOSED",
            }
        variables = info | live | self._meter_vars(meters) | self._inverter_vars(now)
        if m.ess:
            variables |= ess_vars(m, now)
        return variables | dict(m.writable)

    def _meter_vars(self, meters: dict) -> dict[str, str]:
        stamp = fmt_iso(meters["time"])
        serial = self.model.meter_serial
        production, consumption = self.model.meter_readings(meters["time"])
        out = {}
        for index, (kind, readings) in enumerate((("p", production), ("c", consumption))):
            fields = {"sn": f"{serial}{kind}", "prodMdlNm": f"PVS6M0400{kind}", "msmtEps": stamp}
            fields |= {_camel(name): value for name, value in readings.items()}
            if kind == "p":
                fields["ltea3phsumKwh"] = fields["netLtea3phsumKwh"]
            for key, value in fields.items():
                out[f"/sys/devices/meter/{index}/{key}"] = value
        return out

    def _inverter_vars(self, now: float) -> dict[str, str]:
        m = self.model
        out = {}
        grid = now - now % 300
        for i in range(m.inverters):
            v = m.inverter_values(i, now)
            fields = {
                "sn": m.inverter_serial(i),
                "prodMdlNm": "AC_Module_Type_E",
                "msmtEps": fmt_iso(grid),
                "ltea3phsumKwh": num(m.inverter_kwh(i, grid)),
                "p3phsumKw": num(v["kw"]) if v else "0",
                "vln3phavgV": num(v["v_ac"]) if v else "0",
                "i3phsumA": num(v["i_ac"], 2) if v else "0",
                "freqHz": num(v["freq"], 2) if v else "0",
                "tHtsnkDegc": str(round(v["temp"])) if v else "0",
                "vMppt1V": num(v["v_dc"]) if v else "0",
                "iMppt1A": num(v["i_dc"], 2) if v else "0",
                "pMppt1Kw": num(v["dc_kw"]) if v else "0",
            }
            for key, value in fields.items():
                out[f"/sys/devices/inverter/{i}/{key}"] = value
        return out

    # ----- /vars --------------------------------------------------------------------
    def vars(self, params: dict[str, str], session: str | None) -> Response:
        authorized = self.session_valid(session)
        if "set" in params:
            if not authorized:
                return json_response(UNAUTHORIZED, 401)
            return self._set(params["set"])
        names = self._select(params)
        if isinstance(names, Response):
            return names
        variables = self.variables()
        wanted = [n for n in names if n in variables] if names is not None else []
        if names is None:  # match=
            substring = params.get("match", "")
            wanted = [n for n in variables if substring in n]
            self._remember(params, wanted)
        if not authorized and not (wanted and all(n in PUBLIC_VARS for n in wanted)):
            return json_response(UNAUTHORIZED, 401)
        if params.get("fmt") == "obj":
            return json_response({n: variables[n] for n in wanted})
        values = [{"name": n, "value": variables[n]} for n in wanted]
        return json_response({"count": len(values), "values": values})

    def _select(self, params: dict[str, str]) -> list[str] | None | Response:
        """Names asked for with name= (or a cache), None for match=, or an error."""
        if "name" in params:
            names = [n.strip() for n in params["name"].split(",") if n.strip()]
            self._remember(params, names)
            return names
        if "match" in params:
            return None
        cache_id = params.get("cache")
        if cache_id:
            with self._lock:
                cached = self._caches.get(cache_id)
            if cached is None:
                return _bad(f"unknown cache {cache_id}")
            return list(cached)
        return _bad("expected name=, match= or cache=")

    def _remember(self, params: dict[str, str], names: list[str]) -> None:
        cache_id = params.get("cache")
        if cache_id:
            with self._lock:
                self._caches[cache_id] = list(names)
                while len(self._caches) > MAX_CACHES:
                    self._caches.popitem(last=False)

    def _set(self, assignments: str) -> Response:
        updates = {}
        for item in assignments.split(","):
            name, sep, value = item.partition("=")
            if not sep or name not in self.model.writable:
                return _bad(f"cannot set {name!r}")
            updates[name] = value
        self.model.writable.update(updates)
        values = [{"name": n, "value": v} for n, v in updates.items()]
        return json_response({"count": len(values), "values": values})


def _camel(legacy_name: str) -> str:
    """A DeviceList field name as the 2025 API spells it: p_3phsum_kw -> p3phsumKw."""
    first, *rest = legacy_name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)
