"""click's own usage errors come out as one line naming the option, exit 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bridge_cli.cli import cli


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["lab", "up", "--release", "foo"], ["--release", "bullseye"]),
        (["--bogus"], ["--bogus"]),
        (["nosuch"], ["nosuch"]),
        (["pvs", "info"], ["SERIAL"]),
    ],
)
def test_usage_errors_are_one_line(args, names):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert all(name in lines[0] for name in names)
    assert "Traceback" not in result.output


def test_group_without_command_prints_its_help():
    result = CliRunner().invoke(cli, ["lab"])
    assert result.exit_code == 0
    assert "Commands:" in result.stdout and "up" in result.stdout
