"""The day's clients, run as one process inside the lab's home namespace.

    python -m bridge_cli.soak.clients HOST --log FILE --until EPOCH [--pollers 20 ...]

- Legacy pollers (each from its own address with `--sources`: 20 devices of the home,
  not one host with 20 connections): each asks the bridge for
  `/cgi-bin/dl_cgi?Command=DeviceList` on a fresh connection every `interval` s (gzip
  accepted, 120 s timeout, like the Home Assistant "sunpower" integration), and reads
  the inverter count and the PVS's uptime.
- The soak's probe: `Command=Get_Comm` (not cached by the bridge) every second; its
  answers tell when the PVS is reachable through the bridge again after a fault.
- New-firmware clients: SunStrong's `pypvs` (discover, login, update), unchanged, through
  the bridge's HTTPS port. They start once the file `--newfw-flag` exists (the soak
  creates it when the simulated PVS has its 2025 firmware); before that the PVS has no
  2025 API to talk to.

Every request becomes one JSON line in `--log`: start and end (epoch s), client, outcome
(`ok`, `locked` = the PVS's own 403 for the old API on the 2025 firmware, passed on by the
bridge, or `error`), detail. Bounded: nothing starts after `--until` or once the file
`--stop-flag` exists, and every request has a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import gzip
import http.client
import json
import random
import sys
import threading
import time
from pathlib import Path

DEVICE_LIST = "/cgi-bin/dl_cgi?Command=DeviceList"
# The soak's own probe: a read command the bridge does not cache, so its answers show
# when the PVS is reachable through the bridge again (DeviceList may come from the cache).
PROBE = "/cgi-bin/dl_cgi?Command=Get_Comm"
PROBE_TIMEOUT = 10.0
LEGACY_TIMEOUT = 120.0
PYPVS_TIMEOUT = 60.0
GUARD_HEADER = "X-PVS-Bridge-Guard"


class Log:
    def __init__(self, path: Path):
        self._file = open(path, "a", buffering=1)  # noqa: SIM115 - closed in close()
        self._lock = threading.Lock()

    def write(self, record: dict) -> None:
        line = json.dumps(record, separators=(",", ":"))
        with self._lock:
            self._file.write(line + "\n")

    def close(self) -> None:
        self._file.close()


def classify_legacy(status: int, headers: dict, body: bytes) -> tuple[str, dict]:
    """(outcome, facts) of one DeviceList answer."""
    if status == 200:
        try:
            data = json.loads(body)
            devices = data["devices"]
        except (ValueError, KeyError, TypeError):
            return "error", {"detail": "HTTP 200, not DeviceList JSON"}
        uptime = next((d.get("dl_uptime") for d in devices if d.get("DEVICE_TYPE") == "PVS"), None)
        return "ok", {
            "inverters": sum(d.get("DEVICE_TYPE") == "Inverter" for d in devices),
            "uptime": float(uptime) if uptime not in (None, "") else None,
        }
    guard = any(k.lower() == GUARD_HEADER.lower() for k in headers)
    if status == 403 and not guard and b"Unauthorized" in body:
        return "locked", {"detail": "HTTP 403 from the PVS (old API locked)"}
    return "error", {"detail": f"HTTP {status}" + (" (bridge guard)" if guard else "")}


def error_name(exc: BaseException) -> str:
    """The exception's class, and for a bare OSError its errno (ENETUNREACH, ...)."""
    name = type(exc).__name__
    number = getattr(exc, "errno", None)
    if name == "OSError" and number in errno.errorcode:
        return f"OSError {errno.errorcode[number]}"
    return name


def classify_probe(status: int, headers: dict, body: bytes) -> tuple[str, dict]:
    if status == 200:
        return "ok", {}
    if status == 403:
        return classify_legacy(status, headers, body)
    return "error", {"detail": f"HTTP {status}"}


def legacy_once(
    host: str,
    port: int,
    path: str = DEVICE_LIST,
    timeout: float = LEGACY_TIMEOUT,
    source: str | None = None,
) -> tuple[str, dict]:
    conn = http.client.HTTPConnection(
        host, port, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        body = response.read()
        if response.getheader("Content-Encoding", "") == "gzip":
            body = gzip.decompress(body)
        classify = classify_legacy if path == DEVICE_LIST else classify_probe
        outcome, facts = classify(response.status, dict(response.getheaders()), body)
        if response.getheader("Age") is not None:  # haproxy's cache answered, not the PVS
            facts["cached"] = True
        return outcome, facts
    except (OSError, http.client.HTTPException, EOFError) as exc:
        return "error", {"detail": error_name(exc)}
    finally:
        conn.close()


def _running(args) -> bool:
    return time.time() < args.until and not args.stop_flag.exists()


def legacy_poller(index: int, args, log: Log, offset: float) -> None:
    due = time.monotonic() + offset
    while _running(args):
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(min(pause, 1.0))
            continue
        start = time.time()
        source = args.sources[index % len(args.sources)] if args.sources else None
        outcome, facts = legacy_once(args.host, args.port, source=source)
        log.write({"kind": "legacy", "client": index, "start": round(start, 3),
                   "end": round(time.time(), 3), "outcome": outcome, **facts})  # fmt: skip
        due += args.interval
        if due < time.monotonic():  # skip missed ticks, never bunch up
            due = time.monotonic() + args.interval


def probe(args, log: Log) -> None:
    """Get_Comm every `probe_interval` s (one client, never cached by the bridge)."""
    while _running(args):
        start = time.time()
        outcome, facts = legacy_once(args.host, args.port, PROBE, PROBE_TIMEOUT)
        log.write({"kind": "probe", "client": 0, "start": round(start, 3),
                   "end": round(time.time(), 3), "outcome": outcome, **facts})  # fmt: skip
        time.sleep(max(0.0, args.probe_interval - (time.time() - start)))


async def _pypvs_client(index: int, args, log: Log) -> None:
    import aiohttp
    from pypvs.pvs import PVS

    while _running(args) and not args.newfw_flag.exists():
        await asyncio.sleep(0.5)
    await asyncio.sleep(index * args.pypvs_interval / max(args.pypvs, 1))
    pvs = None
    async with aiohttp.ClientSession() as session:
        while _running(args):
            start = time.time()
            try:
                if pvs is None:
                    pvs = PVS(session=session, host=args.host, user="ssm_owner")
                    await asyncio.wait_for(pvs.discover(), PYPVS_TIMEOUT)
                    password = pvs.serial_number[-5:]
                    await asyncio.wait_for(pvs.setup(auth_password=password), PYPVS_TIMEOUT)
                data = await asyncio.wait_for(pvs.update(), PYPVS_TIMEOUT)
                outcome, facts = "ok", {"inverters": len(data.inverters)}
            except Exception as exc:  # noqa: BLE001 - every failure is a client error here
                outcome, facts = "error", {"detail": type(exc).__name__}
                pvs = None  # discover and log in again, as an integration reloads
            log.write({"kind": "pypvs", "client": index, "start": round(start, 3),
                       "end": round(time.time(), 3), "outcome": outcome, **facts})  # fmt: skip
            left = args.pypvs_interval - (time.time() - start)
            if left > 0:
                await asyncio.sleep(left)


async def _pypvs_all(args, log: Log) -> None:
    await asyncio.gather(*(_pypvs_client(i, args, log) for i in range(args.pypvs)))


def run(args) -> int:
    log = Log(args.log)
    rng = random.Random(14)
    threads = [
        threading.Thread(
            target=legacy_poller,
            args=(i, args, log, rng.uniform(0, args.interval)),
            daemon=True,
        )
        for i in range(args.pollers)
    ]
    if args.probe_interval > 0:
        threads.append(threading.Thread(target=probe, args=(args, log), daemon=True))
    for thread in threads:
        thread.start()
    if args.pypvs:
        asyncio.run(_pypvs_all(args, log))
    for thread in threads:
        thread.join(timeout=max(0.0, args.until - time.time()) + LEGACY_TIMEOUT + 10)
    log.close()
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bridge_cli.soak.clients")
    p.add_argument("host")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--log", type=Path, required=True)
    p.add_argument("--until", type=float, required=True, help="epoch s: start nothing after")
    p.add_argument("--stop-flag", type=Path, required=True)
    p.add_argument("--newfw-flag", type=Path, required=True)
    p.add_argument("--pollers", type=int, default=20)
    p.add_argument("--interval", type=float, default=5.0)
    p.add_argument("--pypvs", type=int, default=3)
    p.add_argument("--pypvs-interval", type=float, default=10.0)
    p.add_argument("--probe-interval", type=float, default=1.0, help="0: no probe")
    p.add_argument(
        "--sources",
        type=lambda text: [a for a in text.split(",") if a],
        default=[],
        help="comma-separated source addresses, one per poller (each poller a home device)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not 0 <= args.pollers <= 100 or not 0 <= args.pypvs <= 10:
        print("pollers: 0-100, pypvs: 0-10", file=sys.stderr)
        return 2
    if args.until - time.time() > 3 * 3600:
        print("until: at most 3 hours from now", file=sys.stderr)
        return 2
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
