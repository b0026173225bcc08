"""The 2025 API (builds >= 61840): /auth login/logout and the /vars varserver, over HTTPS.

Behaviour follows the public code the firmware is built on (Trevor Monk's "Gateway
Project", MIT): tjmonk/fcgi_auth (src/fcgi_auth.c), tjmonk/fcgi_vars (src/fcgi_vars.c),
tjmonk/sessionmgr (README.md), and what SunStrong's pypvs (PyPI, pvs_fcgi.py) sends. The
firmware may differ in details; where users reported otherwise (issue threads), that wins.

- Login `GET /auth?login` with `Authorization: basic base64(ssm_owner:<last 5 of serial>)`:
  the scheme is compared case-insensitively and "bearer" is the other kind
  (fcgi_auth CheckCredentials); success `{"session": ...}` plus a `Secure; HttpOnly`
  cookie, failure 401 `{"status": 401, "description": "Unauthorized"}`
  (fcgi_auth ProcessLoginQuery/ErrorResponse).
- `/auth?logout` with the session cookie: 204 without a body; unknown session 401
  (fcgi_auth ProcessLogoutQuery).
- Sessions end `session_ttl` (300) seconds after login and are not extended by use:
  sessionmgr README, "/sys/session/timeout ... 300 seconds", "Sessions do not
  auto-extend" by default. Time comes from the injectable SimClock (clock.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
from collections import OrderedDict
from urllib.parse import unquote_plus

from bridge_cli.simulator.clock import SimClock
from bridge_cli.simulator.ess import ess_power_kw, ess_vars
from bridge_cli.simulator.model import SiteModel, fmt_iso, num
from bridge_cli.simulator.responses import Response, json_response

USER = "ssm_owner"
# Readable without a session (the serial gives the password): pypvs firmware.py reads
# exactly these three before it logs in.
PUBLIC_VARS = ("/sys/info/serialnum", "/sys/info/ssid", "/sys/info/lmac")
TELEMETRY_SWITCH = "/sys/telemetryws/enable"
MAX_SESSIONS = 256
MAX_CACHES = 64
MAX_POST = 1024  # fcgi_vars MAX_POST_LENGTH: longer (or empty) POST bodies answer 413

# fcgi_vars' error code bits, reported as "errorcode": "0x%04X" (fcgi_vars ErrorResponse).
ERR_NO_SESSION_INFO = 0x01
ERR_SESSION_VALIDATION = 0x02
ERR_AUTHENTICATION = 0x10
ERR_VARIABLE_NOT_FOUND = 0x100
ERR_NO_CONTENT_LENGTH = 0x800
ERR_INVALID_CONTENT_LENGTH = 0x1000
ERR_UNSUPPORTED_REQUEST = 0x2000


def auth_error(status: int = 401) -> Response:
    """fcgi_auth's error body: status and description, no error code."""
    description = "Unauthorized" if status == 401 else "Bad request"
    return json_response({"status": status, "description": description}, status)


def vars_error(status: int, description: str, code: int) -> Response:
    """fcgi_vars' error body: `{"status", "description", "errorcode": "0x...."}`."""
    body = {"status": status, "description": description, "errorcode": f"0x{code:04X}"}
    return json_response(body, status)


def parse_query(text: str) -> list[tuple[str, str]]:
    """A /vars query (URL query or POST body) as fcgi_vars reads it: tokens split on "&",
    each `key=value` by its prefix, in order. Values are %-decoded (clients send both)."""
    out = []
    for token in text.split("&"):
        key, sep, value = token.partition("=")
        if sep:
            out.append((key, unquote_plus(value)))
    return out


def _value(raw: str) -> object:
    """Values are strings; a value that looks like JSON is embedded as JSON (fcgi_vars
    IsJSON: first/last non-space characters [] or {})."""
    text = raw.strip()
    if text[:1] + text[-1:] in ("[]", "{}"):
        try:
            return json.loads(text)
        except ValueError:
            return raw
    return raw


class Varserver:
    """Sessions, caches and variables of one simulated PVS (thread-safe)."""

    def __init__(self, model: SiteModel, session_ttl: float = 300.0, clock: SimClock | None = None):
        self.model = model
        self.session_ttl = session_ttl
        self.clock = clock or SimClock()
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, float] = OrderedDict()  # id -> expiry (sim clock)
        self._caches: OrderedDict[str, list[str]] = OrderedDict()

    # ----- sessions ---------------------------------------------------------------
    def login(self, authorization: str | None) -> Response:
        if not self._credentials_ok(authorization):
            return auth_error(401)
        token = secrets.token_hex(32)  # 64 characters, like the PVS's session ids
        with self._lock:
            self._sessions[token] = self.clock.now() + self.session_ttl
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        response = json_response({"session": token})
        response.headers.append(("Set-Cookie", f"session={token}; Path=/; HttpOnly; Secure"))
        return response

    def logout(self, session: str | None) -> Response:
        with self._lock:
            known = session is not None and self._sessions.pop(session, None) is not None
        if not known:
            return auth_error(401)
        return Response(204, b"", "application/json")

    def clear_sessions(self) -> None:
        """A reboot forgets every session and cache."""
        with self._lock:
            self._sessions.clear()
            self._caches.clear()

    def session_error(self, session: str | None) -> int:
        """0 for a valid session, else fcgi_vars' error bits for the missing/bad one."""
        if not session:
            return ERR_NO_SESSION_INFO | ERR_AUTHENTICATION
        now = self.clock.now()
        with self._lock:
            expiry = self._sessions.get(session)
            if expiry is not None and expiry <= now:
                del self._sessions[session]
                expiry = None
        # No extension on use: sessionmgr's autoextend is off by default.
        return 0 if expiry is not None else ERR_SESSION_VALIDATION | ERR_AUTHENTICATION

    def session_valid(self, session: str | None) -> bool:
        return self.session_error(session) == 0

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
            "/sys/info/model": m.pvs_model,
            "/sys/info/sys_type": f"PV Supervisor {m.pvs_model}",
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
        for i in range(m.visible_inverters()):
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
    def lacks(self, query: str) -> list[str]:
        """Names a `name=` list asks for that this firmware does not have."""
        variables = self.variables()
        return [
            n for key, value in parse_query(query) if key == "name"
            for n in value.split(",") if n and n not in variables
        ]  # fmt: skip

    def vars(self, query: str, session: str | None) -> Response:
        """One /vars request (GET query string or POST body), as fcgi_vars ProcessQuery:
        cache=/clearcache= select the output list first, then name= (comma list), match=
        (substring, case-insensitive) and set= (`a=1,b=2`) fill it. Any failure: 400."""
        tokens = parse_query(query)
        variables = self.variables()
        auth_bits = self.session_error(session)
        fmt = "list"
        selected: list[str] = []
        cache_name = None
        for key, value in tokens:
            if key == "cache":
                cache_name = value
            elif key == "clearcache":
                cache_name = value
                with self._lock:
                    self._caches[value] = []
            elif key == "fmt":
                # Judged by its first letter: o(bj) = flat object, anything else a list.
                fmt = "obj" if value[:1].lower() == "o" else "list"
        if cache_name is not None:
            with self._lock:
                selected = list(self._caches.get(cache_name, []))
        error = 0
        failed = False
        wanted: list[str] = []
        writes: list[tuple[str, str]] = []
        for key, value in tokens:
            if key == "name":
                for name in filter(None, value.split(",")):
                    if name in variables:
                        wanted.append(name)
                    else:
                        error |= ERR_VARIABLE_NOT_FOUND
                        failed = True
            elif key == "match":
                needle = value.lower()
                wanted += [n for n in variables if needle in n.lower()]
            elif key == "set":
                for item in filter(None, value.split(",")):
                    name, sep, new = item.partition("=")
                    if sep:
                        writes.append((name, new))
                    else:
                        failed = True
        names = wanted + [n for n, _ in writes]
        if auth_bits and not (names and all(n in PUBLIC_VARS for n in names)):
            return vars_error(401, "Unauthorized", auth_bits)
        for name, new in writes:
            if not self._write(name, new):
                failed = True  # the others are still written, as fcgi_vars does
            elif name not in wanted:
                wanted.append(name)
        if failed:
            return vars_error(400, "Bad request", error)
        for name in wanted:
            if name not in selected:
                selected.append(name)
        if cache_name is not None:
            with self._lock:
                self._caches[cache_name] = list(selected)
                self._caches.move_to_end(cache_name)
                while len(self._caches) > MAX_CACHES:
                    self._caches.popitem(last=False)
        variables = self.variables()  # after writes
        present = [n for n in selected if n in variables]
        if fmt == "obj":
            # `fmt=obj` answers a flat {name: value} object (krbaker/hass-sunpower #125).
            return json_response({n: _value(variables[n]) for n in present})
        values = [{"name": n, "value": _value(variables[n])} for n in present]
        return json_response({"count": len(values), "values": values})

    def _write(self, name: str, value: str) -> bool:
        if name not in self.model.writable:
            return False
        if name == TELEMETRY_SWITCH and self.model.pvs5:
            return False  # a PVS5 has no telemetry WebSocket: the switch answers 400
        with self._lock:
            self.model.writable[name] = value
        return True


def _camel(legacy_name: str) -> str:
    """A DeviceList field name as the 2025 API spells it: p_3phsum_kw -> p3phsumKw."""
    first, *rest = legacy_name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)
