"""`bridge-cli lab soak`: a simulated day of faults, written to RELIABILITY.md (thin)."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import click

from bridge_cli.errors import BridgeInputError
from bridge_cli.lab import topology as topo
from bridge_cli.soak.schedule import EVENT_KEYS, MAX_DAY_MINUTES


def _output(path: str, field: str) -> Path:
    out = Path(path)
    parent = out.resolve().parent
    if out.is_dir():
        raise BridgeInputError(field, f"{out} is a directory; give a file name")
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise BridgeInputError(field, f"{parent} does not exist or is not writable")
    return out


def build_options(day_minutes, quick, only, release, lab_name, keep_lab):
    from bridge_cli.soak.day import Options
    from bridge_cli.soak.schedule import make_plan

    keys = tuple(k.strip() for k in only.split(",") if k.strip()) if only else ()
    try:
        plan = make_plan(day_minutes, quick=quick, only=keys)
    except ValueError as exc:
        field = "only" if "event" in str(exc) else "day-minutes"
        raise BridgeInputError(field, str(exc).removeprefix("day-minutes ")) from None
    topo.lab_name(lab_name, "lab-name")
    topo.release(release)
    if os.geteuid() != 0:
        raise BridgeInputError("lab", "the soak runs a lab: it needs root")
    return Options(plan=plan, lab_name=lab_name, release=release, keep_lab=keep_lab)


@click.command()
@click.option(
    "--output", "-o", default="RELIABILITY.md", show_default=True, help="Markdown report."
)
@click.option("--json", "json_output", default=None, help="Also write the raw results as JSON.")
@click.option(
    "--day-minutes",
    type=float,
    default=None,
    help=f"Real minutes for the simulated day (1-{MAX_DAY_MINUTES:.0f}) "
    "[default: 30; 4 with --quick].",
)
@click.option("--quick", is_flag=True, help="Short faults and a short day (a few minutes).")
@click.option(
    "--only",
    default=None,
    metavar="EVENT[,EVENT...]",
    help="Only these events: " + ", ".join(EVENT_KEYS) + ".",
)
@click.option(
    "--release",
    default=topo.DEFAULT_RELEASE,
    show_default=True,
    type=click.Choice(topo.RELEASES),
    help="The lab bridge's flavour.",
)
@click.option("--lab-name", default="soak", show_default=True, help="Name of the lab it runs.")
@click.option("--keep-lab", is_flag=True, help="Leave the lab up afterwards.")
def soak(output, json_output, day_minutes, quick, only, release, lab_name, keep_lab) -> None:
    """A simulated day of faults on one provisioned lab bridge; writes RELIABILITY.md.

    \b
    20 legacy DeviceList pollers and 3 pypvs clients use the bridge all day while the
    simulated PVS reboots at night, hangs, answers DeviceList after a minute, gets the
    2025 firmware, the home WiFi drops and the bridge loses power (booting with the PVS's
    DHCP late). Lab namespaces only; bounded; everything stops by itself.
    Full run (root, about 35 minutes): bridge-cli lab soak
    Smoke run (root, a few minutes): bridge-cli lab soak --quick -o /tmp/r.md
    """
    from bridge_cli.soak import day, report

    out = _output(output, "output")
    out_json = _output(json_output, "json") if json_output else None
    opts = build_options(day_minutes, quick, only, release, lab_name, keep_lab)
    args = sys.argv[1:]
    if args[:2] == ["lab", "soak"]:
        args = args[2:]
    command = " ".join(["bridge-cli lab soak", *(shlex.quote(a) for a in args)])
    results = day.run(opts, log=lambda m: click.echo(m, err=True))
    out.write_text(report.render(results, command.strip()) + "\n")
    if out_json:
        out_json.write_text(json.dumps(results, indent=1, default=str))
    click.echo(f"soak: wrote {out}", err=True)
    hands = sum(1 for t in results["timeline"] if t["needed_hand"])
    if hands:
        click.echo(f"soak: the bridge needed a hand after {hands} event(s)", err=True)
        sys.exit(1)
