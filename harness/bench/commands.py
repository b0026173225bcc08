"""`python -m harness.bench` (what `make bench` runs): the benchmarks into BENCHMARKS.md.

A thin click layer over harness.bench.runner; part of the test harness, not of the
shipped CLI.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import click

from bridge_cli.errors import BridgeInputError
from bridge_cli.lab import topology as topo

MAX_POLLERS = 100
MAX_DURATION = 600
MAX_PREFIX = 8  # <prefix>-bullseye must stay within 17 characters
OTHER_PEERS = ("guide", "varnish", "nginx", "caddy")  # the role's haproxy always runs
PROG = "python -m harness.bench"


def _validate_output(path: Path, field: str) -> Path:
    parent = path.resolve().parent
    if path.exists() and path.is_dir():
        raise BridgeInputError(field, f"{path} is a directory; give a file name")
    if not parent.is_dir():
        raise BridgeInputError(field, f"{parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise BridgeInputError(field, f"{parent} is not writable")
    return path


def build_options(
    output,
    json_output,
    quick,
    lab,
    releases,
    lab_prefix,
    keep_lab,
    pollers,
    duration,
    inverters,
    requests,
    doctor_runs,
    command,
    peer_keys=(),
    mixed_duration=None,
    outage=None,
    only_new_firmware=False,
):
    from harness.bench.runner import Options

    _validate_output(Path(output), "output")
    if only_new_firmware and not Path(output).is_file():
        raise BridgeInputError(
            "output", f"{output} does not exist; --only-new-firmware adds to an existing report"
        )
    if json_output:
        _validate_output(Path(json_output), "json")
    topo.lab_name(f"{lab_prefix}-bookworm", "lab-prefix")
    if len(lab_prefix) > MAX_PREFIX:
        # The lab derives its WiFi SSID (at most 32 bytes) from the lab name.
        raise BridgeInputError("lab-prefix", f"at most {MAX_PREFIX} characters")
    for rel in releases:
        topo.release(rel)
    if len(set(releases)) != len(releases):
        raise BridgeInputError("release", "each release may be given once")
    if len(set(peer_keys)) != len(peer_keys):
        raise BridgeInputError("peer", "each peer may be given once")
    given = {
        "pollers": pollers,
        "duration": duration,
        "inverters": inverters,
        "overhead_requests": requests,
        "doctor_runs": doctor_runs,
        "mixed_duration": mixed_duration,
        "outage": outage,
    }
    given = {k: v for k, v in given.items() if v is not None}
    if peer_keys:
        given["peers"] = ("role", *(k for k in OTHER_PEERS if k in peer_keys))
    kw = {
        "output": Path(output),
        "json_output": Path(json_output) if json_output else None,
        "lab_prefix": lab_prefix,
        "keep_lab": keep_lab,
        "command": command,
        **given,
    }
    if releases:
        kw["releases"] = tuple(releases)
    opts = Options.quick_defaults(**kw) if quick else Options(**kw)
    if lab is not None:
        opts.lab = lab
    if only_new_firmware:
        opts.only_new_firmware, opts.lab = True, False
    if opts.lab and os.geteuid() != 0:
        raise BridgeInputError("lab", "the lab parts need root; run as root or add --no-lab")
    return opts


@click.command()
@click.option(
    "--output",
    "-o",
    default="BENCHMARKS.md",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Markdown report to write.",
)
@click.option(
    "--json",
    "json_output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the raw results as JSON.",
)
@click.option(
    "--quick", is_flag=True, help="Smoke run: loopback parts only, 3 pollers for 5 s, small PVS."
)
@click.option(
    "--lab/--no-lab",
    default=None,
    help="Run the lab parts (provisioning, overhead, footprint, doctor). "
    "Default: yes, except with --quick.",
)
@click.option(
    "--release",
    "releases",
    multiple=True,
    type=click.Choice(topo.RELEASES),
    help="Lab flavour(s) to provision, first one also for overhead, footprint and "
    "doctor [default: bookworm bullseye trixie].",
)
@click.option(
    "--lab-prefix", default="bench", show_default=True, help="Labs are named <prefix>-<release>."
)
@click.option("--keep-lab", is_flag=True, help="Leave the labs up afterwards.")
@click.option(
    "--pollers",
    type=click.IntRange(1, MAX_POLLERS),
    default=None,
    help="Concurrent DeviceList pollers (protection, footprint) [default: 20].",
)
@click.option(
    "--duration",
    type=click.FloatRange(1, MAX_DURATION),
    default=None,
    help="Seconds the pollers run [default: 60].",
)
@click.option(
    "--inverters",
    type=click.IntRange(1, 200),
    default=None,
    help="Inverters of the simulated PVS under load [default: 24].",
)
@click.option(
    "--requests",
    type=click.IntRange(10, 100_000),
    default=None,
    help="Requests each way for the proxy overhead [default: 500].",
)
@click.option(
    "--doctor-runs",
    type=click.IntRange(1, 20),
    default=None,
    help="Runs per doctor case [default: 3].",
)
@click.option(
    "--peer",
    "peer_keys",
    multiple=True,
    type=click.Choice(OTHER_PEERS),
    help="Proxy to compare with the role's haproxy (repeatable) [default: all of them].",
)
@click.option(
    "--mixed-duration",
    type=click.FloatRange(5, MAX_DURATION),
    default=None,
    help="Seconds of the mixed workload (legacy pollers + Prometheus) [default: 120].",
)
@click.option(
    "--outage",
    type=click.FloatRange(1, 300),
    default=None,
    help="Seconds the simulated PVS stays down in the down-and-back check [default: 45].",
)
@click.option(
    "--only-new-firmware",
    is_flag=True,
    help="Measure only section 8 (the 2025 firmware's API) and replace it in the existing "
    "--output report; the other sections stay as they were.",
)
def bench(
    output,
    json_output,
    quick,
    lab,
    releases,
    lab_prefix,
    keep_lab,
    pollers,
    duration,
    inverters,
    requests,
    doctor_runs,
    peer_keys,
    mixed_duration,
    outage,
    only_new_firmware,
) -> None:
    """Measure the bridge and write BENCHMARKS.md (see README.md).

    \b
    Proxy overhead, gzip savings, protection of the PVS, provisioning times per lab
    flavour, the doctor's wall time, haproxy's footprint; and the same workloads through
    what owners run instead (the guide's haproxy, varnish, nginx, Caddy), side by side.
    Loopback and lab namespaces only; every load is bounded in clients and time.
    Full run (root, about 10 minutes): make bench
    Smoke run (loopback only, under a minute): python -m harness.bench --quick -o /tmp/b.md
    """
    from harness.bench.runner import run, run_new_firmware_only

    command = " ".join([PROG, *(shlex.quote(a) for a in sys.argv[1:])])
    try:
        opts = build_options(
            output,
            json_output,
            quick,
            lab,
            releases,
            lab_prefix,
            keep_lab,
            pollers,
            duration,
            inverters,
            requests,
            doctor_runs,
            command.strip(),
            peer_keys,
            mixed_duration,
            outage,
            only_new_firmware,
        )
    except BridgeInputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    log = lambda m: click.echo(m, err=True)  # noqa: E731
    if opts.only_new_firmware:
        results = run_new_firmware_only(opts, log=log)
        failed = _new_firmware_failed(results)
        if failed:
            click.echo(f"bench: not measured: {', '.join(failed)} (see {opts.output})", err=True)
            sys.exit(1)
        return
    results = run(opts, log=log)
    failed = _failed_parts(results)
    if failed:
        click.echo(f"bench: not measured: {', '.join(failed)} (see {opts.output})", err=True)
        sys.exit(1)


def _new_firmware_failed(results: dict) -> list[str]:
    section = results.get("newfw", {})
    if "error" in section:
        return ["newfw"]
    return [f"newfw {k}" for k, v in section.items() if isinstance(v, dict) and "error" in v]


def _failed_parts(results: dict) -> list[str]:
    failed = _new_firmware_failed(results) + [
        k
        for k in ("compression", "protection", "mixed", "peerchecks", "cachefill")
        if "error" in results.get(k, {})
    ]
    for part in ("protection", "mixed", "peerchecks"):
        section = results.get(part, {})
        failed += [f"{part} {k}" for k in section.get("peers", []) if "error" in section.get(k, {})]
    lab = results.get("lab", {})
    if results["options"]["lab"]:
        if "error" in lab:
            failed.append("lab")
        for rel, data in lab.get("releases", {}).items():
            if "error" in data:
                failed.append(f"lab {rel}")
        for key in ("overhead", "footprint", "doctor"):
            if "error" in lab.get(key, {"error": "missing"}):
                failed.append(key)
    return failed
