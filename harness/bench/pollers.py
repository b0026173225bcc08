"""Bounded pollers: N clients each asking for a URL once a second for a fixed time.

Each poller is its own client: on loopback it connects from an address of its own
(127.77.x.y), as N dashboards are N hosts, so that per-client limits (the role's
bridge_proxy_client_maxconn) see N clients, not one. Each poller opens a fresh connection
per request (as most dashboards' HTTP clients do between polls), asks with
`Accept-Encoding: gzip`, and schedules its next request one second after the previous
*scheduled* one (missed ticks are skipped, never bunched).
No request starts after `duration`; a request in flight is given up after `timeout`.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from dataclasses import dataclass, field

MAX_POLLERS = 100
MAX_DURATION = 600.0


@dataclass
class PollResult:
    seconds: list[float] = field(default_factory=list)  # successful (HTTP 200) requests
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)  # non-200 answers and failures
    requests: int = 0
    wall: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def source_address(host: str, index: int) -> tuple[str, int] | None:
    """Poller INDEX's own client address toward HOST on loopback; elsewhere (inside a lab
    namespace, toward the bridge) the system's, one address for all."""
    if not host.startswith("127."):
        return None
    return (f"127.77.{index // 250}.{index % 250 + 1}", 0)


def _one(
    host: str, port: int, path: str, timeout: float, source: tuple[str, int] | None = None
) -> tuple[int, int]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=source)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        conn.close()


def poll(
    host: str,
    port: int,
    path: str,
    pollers: int,
    duration: float,
    interval: float = 1.0,
    timeout: float = 150.0,
    seed: int = 7,
) -> PollResult:
    """Run the pollers to completion (bounded: duration + timeout at most)."""
    if not 1 <= pollers <= MAX_POLLERS:
        raise ValueError(f"pollers must be within 1..{MAX_POLLERS}")
    if not 0 < duration <= MAX_DURATION:
        raise ValueError(f"duration must be within 0..{MAX_DURATION:.0f} s")
    result = PollResult()
    lock = threading.Lock()
    rng = random.Random(seed)
    start = time.monotonic()
    end = start + duration
    offsets = [rng.uniform(0, interval) for _ in range(pollers)]

    def record(status: str | None, error: str | None, elapsed: float | None) -> None:
        with lock:
            result.requests += 1
            if status is not None:
                result.statuses[status] = result.statuses.get(status, 0) + 1
            if error is not None:
                result.errors[error] = result.errors.get(error, 0) + 1
            elif elapsed is not None:
                result.seconds.append(elapsed)

    def run(offset: float, source: tuple[str, int] | None) -> None:
        due = start + offset
        while due < end:
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            t0 = time.monotonic()
            try:
                status, _ = _one(host, port, path, timeout, source)
            except (OSError, http.client.HTTPException) as exc:
                record(None, type(exc).__name__, None)
            else:
                elapsed = time.monotonic() - t0
                record(str(status), None if status == 200 else f"HTTP {status}", elapsed)
            due += interval
            now = time.monotonic()
            if due < now:  # skip the ticks missed while waiting
                due += ((now - due) // interval + 1) * interval

    threads = [
        threading.Thread(target=run, args=(o, source_address(host, i)), daemon=True)
        for i, o in enumerate(offsets)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + timeout + 10)
    result.wall = time.monotonic() - start
    return result


def main(argv: list[str] | None = None) -> int:
    """`python -m harness.bench.pollers HOST PORT PATH --pollers N --duration S`: the
    pollers as a process (run inside a lab namespace); prints the result as JSON."""
    import argparse
    import json
    import sys
    from dataclasses import asdict

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("--pollers", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    try:
        result = poll(
            args.host, args.port, args.path, args.pollers, args.duration, timeout=args.timeout
        )
    except ValueError as exc:
        parser.error(str(exc))
    json.dump(asdict(result), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
