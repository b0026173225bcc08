"""The `bridge-cli` command: a thin click shell over the package's functions.

Each subcommand lives in the package that does its work (`<package>/commands.py`); this
module only assembles them and turns user errors into one line and exit status 2.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from bridge_cli import __version__
from bridge_cli.errors import BridgeFailure, BridgeInputError

# click >= 8.2 raises this for a group run without a command; older click prints the help.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _usage_error(exc: click.UsageError) -> NoReturn:
    """click's usage errors (bad option value, unknown option, missing argument) as one
    line naming the option and what is allowed, exit 2, like every other bad input."""
    if exc.ctx is not None and isinstance(exc, _NO_ARGS_IS_HELP):
        click.echo(exc.ctx.get_help())  # a group run without a command: its help
        sys.exit(0)
    command = exc.ctx.command_path if exc.ctx else "bridge-cli"
    click.echo(f"error: {exc.format_message()} (see '{command} --help')", err=True)
    sys.exit(exc.exit_code)


class _Group(click.Group):
    """A group that renders user errors as one line (exit 2), never a traceback."""

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            _usage_error(exc)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            _usage_error(exc)
        except (BridgeInputError, BridgeFailure) as exc:
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
    from bridge_cli.soak.commands import soak

    for command in (pvs, sdcard, simulate, lab, provision, doctor):
        cli.add_command(command)
    lab.add_command(soak, name="soak")  # the soak imports the lab, never the other way


_register()


def main() -> None:
    cli(prog_name="bridge-cli")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
