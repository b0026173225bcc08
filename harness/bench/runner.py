"""One benchmark run: every measurement in order, results as one dict, BENCHMARKS.md.

Order: loopback parts first (compression; protection and the mixed workload through every
peer at the same time; the single checks per peer; the cache fill), then per lab flavour a fresh lab
(`bench-<release>`): lab up, converge, re-run; on the first flavour also the proxy
overhead, haproxy's footprint and the doctor. Each lab is taken down again unless
`keep_lab`. A part that fails is reported in its section; the others still run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bridge_cli.resources import PROJECT_ROOT
from harness.bench import (
    cachefill,
    compression,
    machine,
    mixed,
    newfw,
    newfwreport,
    peerchecks,
    peers,
    protection,
    report,
)


@dataclass
class Options:
    output: Path = Path("BENCHMARKS.md")
    json_output: Path | None = None
    quick: bool = False
    lab: bool = True
    releases: tuple[str, ...] = ("bookworm", "bullseye", "trixie")
    lab_prefix: str = "bench"
    keep_lab: bool = False
    pollers: int = 20
    duration: float = 60.0
    inverters: int = 24  # protection and the lab's simulator: the guide's 24 panels
    client_timeout: float = 180.0
    overhead_requests: int = 500
    doctor_runs: int = 3
    peers: tuple[str, ...] = peers.PEERS
    mixed_duration: float = 120.0
    outage: float = 45.0
    command: str = "python -m harness.bench"
    # The 2025 firmware's API (section 8): reads per path, handshake seconds, poll seconds.
    newfw_requests: int = 300
    handshake_seconds: float = 10.0
    newfw_poll_duration: float = 60.0
    only_new_firmware: bool = False

    @classmethod
    def quick_defaults(cls, **kw) -> Options:
        base = {
            "quick": True,
            "lab": False,
            "pollers": 3,
            "duration": 5.0,
            "inverters": 4,
            "client_timeout": 60.0,
            "overhead_requests": 100,
            "doctor_runs": 1,
            "mixed_duration": 10.0,
            "outage": 3.0,
            "newfw_requests": 50,
            "handshake_seconds": 2.0,
            "newfw_poll_duration": 12.0,
        }
        base.update(kw)
        return cls(**base)


def _guard(results: dict, key: str, func, *args, **kwargs):
    try:
        results[key] = func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported in BENCHMARKS.md, the run goes on
        results[key] = {"error": f"{type(exc).__name__}: {exc}"}
    return results[key]


def doctor_loopback(runs: int) -> dict:
    """scripts/bench_doctor.py (the doctor's own benchmark), its lines as printed."""
    script = PROJECT_ROOT / "scripts" / "bench_doctor.py"
    if not script.exists():
        return {"error": "scripts/bench_doctor.py is missing"}
    proc = subprocess.run(
        [sys.executable, str(script), "--runs", str(runs)],
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    return {"lines": proc.stdout.strip().splitlines()}


def lab_flavour(opts: Options, release: str, primary: bool, workdir: Path, log) -> dict:
    from bridge_cli.lab.lab import Lab
    from harness.bench import labbench, provisioning

    name = f"{opts.lab_prefix}-{release}"
    lab = Lab(name, release, inverters=opts.inverters, latency="none")
    if lab.is_up():
        lab.down()
    out: dict = {"name": name}
    try:
        start = time.monotonic()
        lab.up(log=lambda m: None)
        out["up"] = time.monotonic() - start
        log(f"bench: lab {name} up in {out['up']:.1f} s")
        out["converge"] = provisioning.run_once(lab, workdir, f"{release}-converge", log)
        if out["converge"]["returncode"] != 0:
            out["error"] = f"converge failed, see {out['converge']['log']}"
            return out
        out["rerun"] = provisioning.run_once(lab, workdir, f"{release}-rerun", log)
        if primary:
            _guard(out, "overhead", labbench.overhead, lab, opts.overhead_requests, log=log)
            _guard(out, "footprint", labbench.footprint, lab, opts.pollers, opts.duration, log=log)
            _guard(out, "doctor", labbench.doctor, lab, opts.doctor_runs, log=log)
    except Exception as exc:  # noqa: BLE001
        out["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        if not opts.keep_lab:
            lab.down()
    return out


def run(opts: Options, log=print) -> dict:
    started = time.monotonic()
    results: dict = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "command": opts.command,
        "quick": opts.quick,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()},
        "machine": machine.facts(),
    }
    log(f"bench: load average at start {results['machine']['load_start']}")
    _guard(results, "compression", lambda: {"rows": compression.measure_loopback()})
    # The 20 pollers and the mixed workload run at the same time, each proxy with a
    # simulator of its own for each: both are mostly waiting for the simulated PVS.
    side = threading.Thread(
        target=_guard,
        args=(results, "mixed", mixed.measure),
        kwargs={
            "duration": opts.mixed_duration,
            "inverters": opts.inverters,
            "timeout": opts.client_timeout,
            "peer_keys": opts.peers,
            "log": log,
        },
    )
    side.start()
    _guard(
        results,
        "protection",
        protection.measure,
        opts.pollers,
        opts.duration,
        opts.inverters,
        opts.client_timeout,
        log=log,
        peer_keys=opts.peers,
    )
    side.join()
    _guard(
        results,
        "peerchecks",
        peerchecks.measure,
        opts.peers,
        opts.inverters,
        opts.overhead_requests,
        opts.outage,
        log=log,
    )
    _guard(results, "cachefill", cachefill.measure, (1,), not opts.quick, log=log)
    _guard(results, "newfw", measure_new_firmware, opts, log)
    if opts.lab:
        results["lab"] = run_lab(opts, log)
        _guard(results, "doctor_loopback", doctor_loopback, opts.doctor_runs)
    else:
        results["lab"] = {"error": "skipped (--quick or --no-lab)"}
    results["machine"]["load_end"] = machine.loadavg()
    results["wall"] = time.monotonic() - started
    write(opts, results)
    log(f"bench: wrote {opts.output} in {results['wall']:.0f} s")
    return results


def measure_new_firmware(opts: Options, log) -> dict:
    return newfw.measure(
        opts.newfw_requests, opts.handshake_seconds, opts.newfw_poll_duration, log=log
    )


def run_new_firmware_only(opts: Options, log=print) -> dict:
    """Only section 8, spliced into the existing report at opts.output (its other
    sections and their summary rows stay as the last full run wrote them)."""
    started = time.monotonic()
    results: dict = {
        "command": opts.command,
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine.facts(),
    }
    _guard(results, "newfw", measure_new_firmware, opts, log)
    results["wall"] = time.monotonic() - started
    path = Path(opts.output)
    text = newfwreport.splice(path.read_text(encoding="utf-8"), results)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    if opts.json_output:
        Path(opts.json_output).write_text(json.dumps(results, indent=1, default=str) + "\n")
    log(f"bench: section 8 of {opts.output} replaced in {results['wall']:.0f} s")
    return results


def run_lab(opts: Options, log) -> dict:
    from bridge_cli.lab import capabilities

    missing = capabilities.missing_capabilities()
    if missing:
        return {"error": "the lab cannot run here: " + "; ".join(missing)}
    lab: dict = {"releases": {}}
    with tempfile.TemporaryDirectory(prefix="pvs-bench-") as tmp:
        workdir = Path(os.environ.get("PVS_BENCH_WORKDIR") or tmp)
        for i, release in enumerate(opts.releases):
            data = lab_flavour(opts, release, i == 0, workdir, log)
            for key in ("overhead", "footprint", "doctor"):
                if key in data:
                    lab[key] = data.pop(key)
                    lab["primary"] = release
            lab["releases"][release] = data
    return lab


def write(opts: Options, results: dict) -> None:
    """BENCHMARKS.md (and the raw JSON when asked), each replaced atomically."""
    targets = [(opts.output, report.render(results))]
    if opts.json_output:
        targets.append((opts.json_output, json.dumps(results, indent=1, default=str) + "\n"))
    for path, text in targets:
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
