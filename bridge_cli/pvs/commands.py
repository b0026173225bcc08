"""`bridge-cli pvs ...`: thin click commands over bridge_cli.pvs.serial."""

from __future__ import annotations

import json

import click

from bridge_cli.pvs import serial as pvs_serial


@click.group()
def pvs() -> None:
    """PVS serial tools (hardware variant, commissioning WiFi, API login)."""


@pvs.command("info")
@click.argument("serial")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def info(serial: str, as_json: bool) -> None:
    """Show what the PVS serial number SERIAL tells.

    SERIAL is printed on the PVS's stickers (19 letters and digits, e.g.
    ZT190585000549A6185); spaces, dashes and lower case are accepted.

    \b
    Prints:
      - the PVS6 hardware variant (letter 15: A = Ethernet ports LAN1 and
        WAN/LAN2, W = no Ethernet ports, needs a USB Ethernet dongle) and
        where the bridge's Ethernet cable goes;
      - the commissioning WiFi hotspot's SSID and password;
      - the local API login of new firmware (user ssm_owner).

    \b
    Examples:
      bridge-cli pvs info ZT190585000549A6185
      bridge-cli pvs info "zt19-0585-0005-49a6185" --json

    Unusual prefixes, lengths or variant letters are warnings (on stderr);
    other characters, or a serial shorter than 15, are errors (exit 2).
    """
    result = pvs_serial.info(serial)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(pvs_serial.render_text(result))
