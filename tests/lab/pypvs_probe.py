"""SunStrong's pypvs, unchanged, as the Home Assistant integration drives it; prints JSON lines.

Run inside the lab's home namespace: `pypvs_probe.py HOST`. HOST is the bridge's address:
pypvs builds https://HOST for the varserver and ws://HOST:9002 for live data, as it does
with a PVS's address. Steps, each printed as one JSON line:

1. {"step": "read", ...}: discover (serial, firmware), log in with the serial's last five
   characters, one update (gateway variables by name, inverters/meters/ESS by prefix match).
2. {"step": "live", ...}: the telemetry switch (an allowlisted write) and the WebSocket's
   first live data, through pypvs's own PVSWebSocket.
3. {"step": "ready"}: then waits for one line on stdin (the test reads the PVS's counters),
4. {"step": "write", ...}: a battery setting (not allowlisted) through pypvs's own
   getVarserver: the error pypvs raises and the HTTP statuses its session saw.

Every HTTP status pypvs's aiohttp session gets is recorded with a TraceConfig (aiohttp's
public tracing hook), so the client itself stays as its users run it.
"""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp
from pypvs.pvs import PVS

BATTERY_WRITE = "/ess/config/dcm/mode_param/control_mode=1"  # not on the allowlist


def say(**data) -> None:
    print(json.dumps(data), flush=True)


def tracing(seen: list) -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()

    async def on_end(session, context, params) -> None:
        seen.append([params.method, params.url.path_qs, params.response.status])

    trace.on_request_end.append(on_end)
    return trace


async def live_data(pvs: PVS, seconds: float) -> dict:
    ws = pvs.get_websocket()
    got: asyncio.Future = asyncio.get_running_loop().create_future()

    def listener(changed: set[str]) -> None:  # pypvs passes the names that changed
        if not got.done() and changed:
            got.set_result(ws.live_data)

    ws.add_listener(listener)
    await ws.connect()
    try:
        data = await asyncio.wait_for(got, seconds)
        return {"connected": True, "pv_p": data.pv_p, "net_p": data.net_p, "soc": data.soc}
    except TimeoutError:
        return {"connected": ws.is_connected, "pv_p": None}
    finally:
        await ws.disconnect()


async def main(host: str) -> None:
    seen: list = []
    async with aiohttp.ClientSession(trace_configs=[tracing(seen)]) as session:
        pvs = PVS(session=session, host=host, user="ssm_owner")
        await pvs.discover()
        await pvs.setup(auth_password=pvs.serial_number[-5:])
        data = await pvs.update()
        say(
            step="read",
            serial=pvs.serial_number,
            gateway={"model": data.gateway.model, "sw": data.gateway.software_version},
            inverters=len(data.inverters),
            meters=len(data.meters),
            ess=len(data.ess),
            statuses=sorted({s for *_, s in seen}),
        )
        del seen[:]
        say(step="live", **await live_data(pvs, 30), statuses=seen[:])
        say(step="ready")
        sys.stdin.readline()
        del seen[:]
        try:
            await pvs.getVarserver("/vars", params={"set": BATTERY_WRITE})
            error = ""
        except Exception as exc:  # pypvs wraps the refusal in its own error types
            error = f"{type(exc).__name__}: {exc}"
        say(step="write", error=error, statuses=seen[:])


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
