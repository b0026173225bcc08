"""`bridge-cli lab ...`: thin click commands over bridge_cli.lab.Lab."""

from __future__ import annotations

import json
import os
import sys

import click

from bridge_cli.errors import BridgeInputError
from bridge_cli.lab import topology as topo

NAME = click.option(
    "--name", default=topo.DEFAULT_NAME, show_default=True, help="Lab name (several can coexist)."
)


def _lab(name: str, release: str | None = None, **kw):
    from bridge_cli.lab.lab import Lab

    return Lab(name, release, **kw)


@click.group()
def lab() -> None:
    """The virtual lab: a simulated PVS, a home LAN and a booted bridge host.

    \b
    Needs root on Linux (network namespaces, systemd-nspawn, debootstrap, dnsmasq).
    Nothing is added to this machine's own network: lab clients run in the lab's
    home namespace (`bridge-cli lab exec -- curl ...`).
    """


@lab.command()
@NAME
@click.option("--release", type=click.Choice(topo.RELEASES), default=topo.DEFAULT_RELEASE,
              show_default=True, help="Raspberry Pi OS flavour of the bridge host.")  # fmt: skip
@click.option("--inverters", type=click.IntRange(0, 200), default=None,
              help="Simulated microinverters.")  # fmt: skip
@click.option("--firmware", default=None, help="Simulated PVS firmware: legacy or a build.")
@click.option("--latency", type=click.Choice(["none", "realistic"]), default="none",
              show_default=True, help="Simulated PVS response times.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def up(name, release, inverters, firmware, latency, as_json) -> None:
    """Build (once, cached) and boot a lab."""
    the_lab = _lab(name, release, inverters=inverters, firmware=firmware, latency=latency)
    status = the_lab.up(log=lambda m: click.echo(m, err=True))
    if as_json:
        click.echo(json.dumps(status, indent=1))
    else:
        click.echo(usage_text(status))


def usage_text(status: dict) -> str:
    name = status["name"]
    addr = status["bridge_address"]
    opt = "" if name == topo.DEFAULT_NAME else f" --name {name}"
    return (
        f"lab {name!r} is up: {status['release']} bridge at {addr} (home LAN), "
        f"PVS at {status['pvs_address']}\n"
        f"  bridge-cli lab ssh{opt}                       # a shell on the bridge\n"
        f"  bridge-cli lab exec{opt} -- curl -s http://{addr}/cgi-bin/dl_cgi?Command=DeviceList\n"
        f"  bridge-cli lab provision{opt}                 # run playbooks/site.yml\n"
        f"  bridge-cli lab down{opt}\n"
        f"  inventory: {status['inventory']}"
    )


def _render_status(status: dict) -> str:
    lines = [f"lab {status['name']!r}: {status['state']} ({status['release']})"]
    if status["state"] == "down":
        return lines[0]
    for ns, ok in status["namespaces"].items():
        lines.append(f"  namespace {ns}: {'present' if ok else 'MISSING'}")
    for proc, ok in status["processes"].items():
        lines.append(f"  {proc}: {'running' if ok else 'not running'}")
    lines.append(f"  bridge (wlan0, home LAN): {status['bridge_address']}")
    for lease in status["leases"]["pvs"]:
        lines.append(f"  PVS-side lease: {lease['address']} ({lease['mac']})")
    lines.append(f"  ssh config: {status['ssh_config']}")
    lines.append(f"  inventory: {status['inventory']}")
    return "\n".join(lines)


@lab.command()
@NAME
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(name, as_json) -> None:
    """Show a lab's state (exit 1 when it is not fully up)."""
    st = _lab(name).status()
    click.echo(json.dumps(st, indent=1) if as_json else _render_status(st))
    if st["state"] != "up":
        sys.exit(1)


@lab.command(context_settings={"ignore_unknown_options": True})
@NAME
@click.argument("remote", nargs=-1, type=click.UNPROCESSED)
def ssh(name, remote) -> None:
    """SSH to the lab bridge (a shell, or run REMOTE there)."""
    the_lab = _lab(name)
    _require_up(the_lab)
    argv = the_lab.ssh_command(list(remote), tty=not remote and sys.stdin.isatty())
    os.execvp(argv[0], argv)


@lab.command(name="exec", context_settings={"ignore_unknown_options": True})
@NAME
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(name, argv) -> None:
    """Run a command in the lab's home namespace (e.g. curl to the bridge)."""
    from bridge_cli.lab import netns

    the_lab = _lab(name)
    _require_up(the_lab)
    full = netns.exec_argv(the_lab.home_ns, list(argv))
    os.execvp(full[0], full)


@lab.command(context_settings={"ignore_unknown_options": True})
@NAME
@click.argument("ansible_args", nargs=-1, type=click.UNPROCESSED)
def provision(name, ansible_args) -> None:
    """Run playbooks/site.yml against the lab bridge (extra args go to ansible-playbook)."""
    from bridge_cli.lab.provision import run_playbook

    result = run_playbook(_lab(name), list(ansible_args))
    sys.exit(result.returncode)


@lab.command()
@click.option("--name", default=None, help=f"Lab name [default: {topo.DEFAULT_NAME}].")
@click.option("--all", "all_", is_flag=True, help="Every lab on this machine.")
def down(name, all_) -> None:
    """Stop a lab and remove everything it made (namespaces, processes, overlay)."""
    from bridge_cli.lab.lab import all_labs

    if all_ and name:
        raise BridgeInputError("name", "give either --name or --all, not both")
    names = all_labs() if all_ else [name or topo.DEFAULT_NAME]
    for n in names:
        _lab(n).down()
        click.echo(f"lab {n!r} is down")


@lab.command()
@click.option("--name", default="demo", show_default=True, help="Lab name.")
def demo(name) -> None:
    """Build the bookworm lab, provision it with the real playbook, run the doctor."""
    from bridge_cli.lab.demo import run_demo

    sys.exit(run_demo(name, echo=click.echo))


def _require_up(the_lab) -> None:
    from bridge_cli.errors import BridgeFailure

    if the_lab.status()["state"] != "up":
        raise BridgeFailure(
            f"lab {the_lab.name!r} is not up (bridge-cli lab up --name {the_lab.name})"
        )
