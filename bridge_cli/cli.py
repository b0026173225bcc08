"""The `bridge-cli` command: a thin click shell over the package's functions.

Each subcommand lives in the package that does its work (`<package>/commands.py`); this
module only assembles them and turns user errors into one line and exit status 2.
"""

from __future__ import annotations

import sys

import click

from bridge_cli import __version__
from bridge_cli.errors import BridgeFailure, BridgeInputError


class _Group(click.Group):
    """A group that renders BridgeInputError as one line (exit 2), never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BridgeInputError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BridgeFailure as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bridge-cli")
def cli() -> None:
    """Build, provision and diagnose a Raspberry Pi bridge to a SunPower PVS5/PVS6.

    \b
    Typical flow:
      bridge-cli sdcard write /media/$USER/bootfs --hostname pvs-bridge ...
      bridge-cli provision -i inventory.yml
      bridge-cli doctor pvs-bridge.local
    Without hardware: `bridge-cli simulate` (a PVS) and `bridge-cli lab up` (a whole site).
    """


def _register() -> None:
    from bridge_cli.doctor.commands import doctor
    from bridge_cli.lab.commands import lab
    from bridge_cli.provision import provision
    from bridge_cli.pvs.commands import pvs
    from bridge_cli.sdcard.commands import sdcard
    from bridge_cli.simulator.commands import simulate

    for command in (pvs, sdcard, simulate, lab, provision, doctor):
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="bridge-cli")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
