#!/usr/bin/env python3
"""Measure how long `bridge-cli doctor` takes (prints numbers; asserts nothing).

Cases, each run as the real CLI in a subprocess (Python start-up included), loopback only:
- healthy legacy bridge: the simulator (latency off) behind the role's haproxy;
- healthy new-firmware bridge with --serial (HTTPS login through the pass-through);
- unreachable bridge: a loopback address whose SYNs go unanswered, default --timeout;
- nothing listening: a loopback address that refuses connections.

Usage: .venv/bin/python scripts/bench_doctor.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.testbed import SilentHost, free_loopback_address, testbed  # noqa: E402


def cli_seconds(args: list[str], runs: int) -> tuple[list[float], int]:
    times, code = [], 0
    for _ in range(runs):
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "bridge_cli", "doctor", *args, "--no-ssh", "--json"],
            capture_output=True,
        )
        times.append(time.monotonic() - start)
        code = proc.returncode
    return times, code


def show(name: str, times: list[float], code: int) -> None:
    print(
        f"{name:<42} median {statistics.median(times):5.2f} s  min {min(times):5.2f} s  "
        f"max {max(times):5.2f} s  (exit {code}, {len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="bench-doctor-")  # not ~/.cache

    with testbed() as bed:
        show("healthy bridge, legacy firmware", *cli_seconds([bed.address], runs))
    with testbed(firmware=61845) as bed:
        serial = bed.sim.config.serial
        show(
            "healthy bridge, new firmware + --serial",
            *cli_seconds([bed.address, "--serial", serial], runs),
        )
    address = free_loopback_address(seed=3)
    with SilentHost(address):
        show("unreachable bridge (no answer), --timeout 3", *cli_seconds([address], runs))
    address = free_loopback_address(seed=5)
    show("nothing listening (refused)", *cli_seconds([address], runs))


if __name__ == "__main__":
    main()
