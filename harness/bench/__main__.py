"""`python -m harness.bench ...`: the benchmarks (`make bench` runs it from the checkout)."""

import sys

import click

from harness.bench.commands import PROG, bench


def main() -> int:
    """Bad options as one line naming the option and what is allowed, exit 2."""
    try:
        return bench.main(prog_name=PROG, standalone_mode=False) or 0
    except click.UsageError as exc:
        click.echo(f"error: {exc.format_message()} (see '{PROG} --help')", err=True)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
