"""`bridge-cli doctor`: find out what is wrong with a bridge, and say how to fix it."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click
from click.core import ParameterSource

from bridge_cli import description
from bridge_cli.doctor import target as validate
from bridge_cli.doctor.context import (
    DEFAULT_DEVICELIST_TIMEOUT,
    DEFAULT_SSH_USER,
    DEFAULT_TIMEOUT,
    DoctorOptions,
)
from bridge_cli.errors import BridgeInputError
from bridge_cli.settings import port as valid_port
from bridge_cli.settings import user as valid_user


@click.command()
@click.argument("host", metavar="HOST[:PORT]", required=False)
@description.inventory_options("address, SSH user, ports and PVS interface")
@click.option(
    "--serial",
    envvar="PVS_SERIAL",
    metavar="SERIAL",
    help="PVS serial (or $PVS_SERIAL): needed on new firmware to log in (HTTPS /vars).",
)
@click.option(
    "--ssh-user",
    default=DEFAULT_SSH_USER,
    show_default=True,
    metavar="USER",
    help="SSH user (the one `bridge-cli sdcard write` created).",
)
@click.option(
    "--ssh-key",
    type=click.Path(path_type=Path, dir_okay=True),
    metavar="FILE",
    help="Unencrypted private key for SSH (default: ssh-agent, then ~/.ssh/id_*).",
)
@click.option("--no-ssh", is_flag=True, help="Skip the checks on the bridge itself.")
@click.option("--ssh-port", default="22", show_default=True, metavar="PORT", help="SSH port.")
@click.option(
    "--ssh-known-hosts",
    type=click.Path(path_type=Path, dir_okay=False),
    help="known_hosts file to check the bridge's host key (default ~/.ssh/known_hosts).",
)
@click.option("--ssh-strict", is_flag=True, help="Refuse a host key not in known_hosts.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.option(
    "--timeout",
    default=f"{DEFAULT_TIMEOUT:g}",
    show_default=True,
    metavar="SECONDS",
    help="Seconds for each connection and quick request.",
)
@click.option(
    "--devicelist-timeout",
    default=f"{DEFAULT_DEVICELIST_TIMEOUT:g}",
    show_default=True,
    metavar="SECONDS",
    help="Seconds to wait for DeviceList (a real PVS takes 6-10 s, sometimes over a minute).",
)
@click.option(
    "--https-port",
    default="443",
    show_default=True,
    metavar="PORT",
    help="Bridge's HTTPS pass-through port.",
)
@click.option(
    "--stats-port", default="8080", show_default=True, metavar="PORT", help="haproxy stats port."
)
@click.option(
    "--pvs-interface",
    default="eth0",
    show_default=True,
    metavar="IFACE",
    help="Bridge interface to the PVS (eth1 for a USB adapter).",
)
@click.option(
    "--color/--no-color", default=None, help="Colour (default: only when stdout is a TTY)."
)
def doctor(
    host: str,
    serial: str | None,
    ssh_user: str,
    ssh_key: Path | None,
    no_ssh: bool,
    ssh_port: str,
    ssh_known_hosts: Path | None,
    ssh_strict: bool,
    as_json: bool,
    timeout: str,
    devicelist_timeout: str,
    https_port: str,
    stats_port: str,
    pvs_interface: str,
    color: bool | None,
    inventory: Path | None,
    inventory_host: str | None,
) -> None:
    """Diagnose a bridge: network, haproxy, the PVS behind it, and the Pi over SSH.

    HOST is the bridge's name or address; PORT is haproxy's HTTP port (default 80).
    Or name it in your inventory: -i INVENTORY --host NAME (address, SSH user, ports and
    PVS interface from there). On the bridge, the doctor judges against what the roles
    recorded (/etc/ansible/facts.d: PVS interface and subnet) unless given here.
    Check ids and the host-key policy: docs/doctor.md.

    \b
    Exit status: 0 nothing failed (warnings allowed), 1 a check failed, 2 bad input.
    Examples:
      bridge-cli doctor pvs-bridge.local
      bridge-cli doctor 192.168.1.50 --ssh-key ~/.ssh/pvs_bridge --serial ZT...
      bridge-cli doctor pvs-bridge.local --no-ssh --json
    """
    from bridge_cli.doctor.diagnose import default_state_dir, diagnose
    from bridge_cli.doctor.render import render_human, render_json

    if ssh_key is not None and no_ssh:
        raise BridgeInputError("ssh-key", "--ssh-key and --no-ssh exclude each other")
    ctx = click.get_current_context()
    interface_given = ctx.get_parameter_source("pvs_interface") != ParameterSource.DEFAULT
    described = description.read_if_asked(inventory, inventory_host)
    if described is not None:
        values = description.apply_to_options(ctx, described, _FROM_INVENTORY)
        ssh_user, https_port = values["ssh_user"], str(values["https_port"])
        stats_port, pvs_interface = str(values["stats_port"]), values["pvs_interface"]
        interface_given = True
        if host is None:
            host = f"{described.address}:{described.http_port or 80}"
    if host is None:
        raise BridgeInputError("host", "give the bridge's HOST[:PORT], or -i INVENTORY --host NAME")
    name, http_port = validate.split_host_port(host)
    options = DoctorOptions(
        host=name,
        address=name,
        port=http_port,
        https_port=valid_port(https_port, "https-port"),
        stats_port=valid_port(stats_port, "stats-port"),
        ssh_port=valid_port(ssh_port, "ssh-port"),
        serial=validate.serial(serial),
        ssh=not no_ssh,
        ssh_user=valid_user(ssh_user, "ssh-user"),
        ssh_key=validate.ssh_key(ssh_key.expanduser() if ssh_key else None),
        ssh_known_hosts=ssh_known_hosts,
        ssh_strict=ssh_strict,
        pvs_interface=validate.interface(pvs_interface),
        pvs_interface_given=interface_given,
        timeout=validate.timeout(timeout, "timeout"),
        devicelist_timeout=validate.timeout(devicelist_timeout, "devicelist-timeout"),
        state_dir=default_state_dir(),
    )
    address, seconds = validate.resolve(name, options.timeout)
    options = replace(options, address=address, resolve_seconds=seconds)
    diagnosis = diagnose(options)
    if as_json:
        render_json(diagnosis.findings, diagnosis.target, diagnosis.result.seconds, sys.stdout)
    else:
        render_human(
            diagnosis.findings, diagnosis.target, diagnosis.result.seconds, sys.stdout, color
        )
    sys.stdout.flush()
    code = 0 if all(f.status != "fail" for f in diagnosis.findings) else 1
    if code:
        click.get_current_context().exit(code)


# doctor option -> the bridge description's field (bridge_cli/description.py)
_FROM_INVENTORY = {
    "ssh_user": "user",
    "https_port": "https_port",
    "stats_port": "stats_port",
    "pvs_interface": "pvs_interface",
}
