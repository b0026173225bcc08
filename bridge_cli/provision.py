"""`bridge-cli provision`: run the project's playbook with the project's Ansible settings.

The user points at an inventory; this module supplies the rest (ansible.cfg with
pipelining, fact caching and forks, the roles and filter plugins) so nobody needs to know
where the roles live. The exit status is ansible-playbook's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from bridge_cli.errors import BridgeFailure, BridgeInputError
from bridge_cli.resources import PROJECT_ROOT, collections_path

ANSIBLE_CFG = PROJECT_ROOT / "ansible.cfg"
PLAYBOOKS = {
    "site": PROJECT_ROOT / "playbooks" / "site.yml",
    "verify": PROJECT_ROOT / "playbooks" / "verify.yml",
}


def tool(name: str) -> str:
    """A tool installed next to this Python (the venv), else on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise BridgeFailure(f"{name} not found (pip install pvs-bridge in this Python's venv)")
    return found


def ansible_playbook_path() -> str:
    """ansible-playbook next to this Python (the venv), else on PATH."""
    return tool("ansible-playbook")


def ansible_environment(base: dict | None = None, state_dir: Path | None = None) -> dict:
    """The environment for ansible-playbook: the project's config, roles and filters.

    `state_dir` (the lab's) keeps fact cache and local temp files apart, so the facts of a
    previous lab of the same name are never taken for this one's."""
    env = dict(os.environ if base is None else base)
    if state_dir is not None:
        env["ANSIBLE_CACHE_PLUGIN_CONNECTION"] = str(state_dir / "facts")
        env["ANSIBLE_LOCAL_TEMP"] = str(state_dir / "ansible-tmp")
    env["ANSIBLE_CONFIG"] = str(ANSIBLE_CFG)
    # The roles and filters: the collection pvs_bridge.bridge, which is PROJECT_ROOT.
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path())
    # The filter plugins import bridge_cli; the venv's bin first keeps one Python.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    return env


def build_argv(
    inventory: str,
    *,
    playbook: str = "site",
    limit: str | None = None,
    check: bool = False,
    extra: Sequence[str] = (),
) -> list[str]:
    """The ansible-playbook command line (validated; nothing is run)."""
    if not Path(inventory).exists():
        raise BridgeInputError("inventory", f"{inventory!r} does not exist")
    if playbook not in PLAYBOOKS:
        raise BridgeInputError("playbook", f"{playbook!r} is not one of {', '.join(PLAYBOOKS)}")
    argv = [ansible_playbook_path(), "-i", inventory, str(PLAYBOOKS[playbook])]
    if limit:
        argv += ["--limit", limit]
    if check:
        argv += ["--check", "--diff"]
    return argv + list(extra)


def run(argv: list[str]) -> int:
    """Run ansible-playbook from the project root; its exit status is returned as is."""
    return subprocess.run(argv, cwd=PROJECT_ROOT, env=ansible_environment()).returncode


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option(
    "-i",
    "--inventory",
    required=True,
    metavar="INVENTORY",
    help="Ansible inventory with a `bridges` group (see inventory.example/).",
)
@click.option("--limit", metavar="HOST", help="Only these hosts or groups (Ansible pattern).")
@click.option("--check", is_flag=True, help="Dry run: show what would change, change nothing.")
@click.option(
    "--playbook",
    type=click.Choice(sorted(PLAYBOOKS)),
    default="site",
    show_default=True,
    help="site sets bridges up; verify runs the health checks on them.",
)
@click.argument("ansible_args", nargs=-1, type=click.UNPROCESSED)
def provision(inventory, limit, check, playbook, ansible_args) -> None:
    """Run the bridge playbook against an inventory.

    Further arguments go to ansible-playbook unchanged, e.g. `--ask-vault-pass` or `-v`.
    The exit status is ansible-playbook's.

    \b
      bridge-cli provision -i inventory/hosts.yml --ask-vault-pass
      bridge-cli provision -i inventory/hosts.yml --limit garage-pvs --check
      bridge-cli provision -i inventory/hosts.yml --playbook verify
    """  # fmt: skip
    argv = build_argv(inventory, playbook=playbook, limit=limit, check=check, extra=ansible_args)
    sys.exit(run(argv))
