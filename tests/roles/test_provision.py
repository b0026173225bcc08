"""`bridge-cli provision`: the real ansible-playbook with the project's settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bridge_cli.cli import cli
from bridge_cli.provision import (
    ANSIBLE_CFG,
    PLAYBOOKS,
    PROJECT_ROOT,
    ansible_environment,
    build_argv,
)

EXAMPLE = str(PROJECT_ROOT / "inventory.example" / "hosts.yml")


def test_argv_and_environment():
    argv = build_argv(EXAMPLE, limit="cabin-pvs", check=True, extra=["-v"])
    assert argv[1:4] == ["-i", EXAMPLE, str(PLAYBOOKS["site"])]
    assert argv[4:] == ["--limit", "cabin-pvs", "--check", "--diff", "-v"]
    env = ansible_environment({})
    assert env["ANSIBLE_CONFIG"] == str(ANSIBLE_CFG)
    link = Path(env["ANSIBLE_COLLECTIONS_PATH"], "ansible_collections", "pvs_bridge", "bridge")
    assert link.resolve() == PROJECT_ROOT.resolve()
    assert (link / "roles" / "bridge_proxy" / "meta" / "argument_specs.yml").exists()


def test_missing_inventory_is_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(cli, ["provision", "-i", str(tmp_path / "nope.yml")])
    assert result.exit_code == 2
    assert result.output.startswith("error: inventory: ")
    assert "Traceback" not in result.output


def _provision(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bridge_cli", "provision", *args],
        capture_output=True, text=True, timeout=300, cwd=Path("/"),
    )  # fmt: skip


def test_runs_ansible_playbook_with_the_roles_from_anywhere():
    """--syntax-check goes through: the roles and filters resolve from any directory."""
    result = _provision("-i", EXAMPLE, "--syntax-check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_exit_status_is_ansibles():
    result = _provision("-i", EXAMPLE, "--syntax-check", "--extra-vars", "@/nonexistent.yml")
    assert result.returncode not in (0, 2)
    assert "nonexistent" in result.stdout + result.stderr


def test_example_inventory_lists_two_bridges():
    result = _provision("-i", EXAMPLE, "--list-hosts")
    assert result.returncode == 0
    assert "garage-pvs" in result.stdout and "cabin-pvs" in result.stdout
