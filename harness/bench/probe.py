"""Latency probe: N sequential GETs, one fresh TCP connection each, timings as JSON.

Runs as `python -m harness.bench.probe HOST PORT PATH --count N` (standard library
only), so the benchmark can start it inside a lab namespace with `ip netns exec` (the
bridge's own namespace for "direct", the home namespace for "through haproxy").
Prints {"ok": n, "errors": n, "statuses": {...}, "seconds": [...]} on stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time


def run(
    host: str, port: int, path: str, count: int, warmup: int = 20, timeout: float = 10.0
) -> dict:
    seconds: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    for i in range(warmup + count):
        start = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
            conn.request("GET", path, headers={"Connection": "close"})
            response = conn.getresponse()
            response.read()
            status = response.status
            conn.close()
        except OSError as exc:
            if i >= warmup:
                errors.append(f"{type(exc).__name__}: {exc}")
            continue
        elapsed = time.perf_counter() - start
        if i >= warmup:
            seconds.append(elapsed)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "ok": len(seconds),
        "errors": len(errors),
        "error_samples": errors[:3],
        "statuses": statuses,
        "seconds": seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args(argv)
    if not 1 <= args.count <= 100_000:
        parser.error("--count must be within 1..100000")
    json.dump(run(args.host, args.port, args.path, args.count, args.warmup), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
