"""Run the project's real playbook against a lab bridge (from the host namespace, via SSH)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bridge_cli import provision
from bridge_cli.errors import BridgeFailure
from bridge_cli.provision import tool  # noqa: F401  (tests and the bench use it from here)
from bridge_cli.resources import PROJECT_ROOT


def ansible_env(state_dir: Path) -> dict:
    return provision.ansible_environment(state_dir=state_dir)


def playbook_argv(inventory: Path, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    return provision.build_argv(str(inventory), extra=tuple(extra))


def run_playbook(lab, extra: list[str] | tuple[str, ...] = (), **kwargs):
    """ansible-playbook playbooks/site.yml against `lab` (a started Lab)."""
    if lab.status()["state"] != "up":
        raise BridgeFailure(f"lab {lab.name!r} is not up (bridge-cli lab up --name {lab.name})")
    inventory = lab.write_inventory()
    argv = playbook_argv(inventory, extra)
    return subprocess.run(argv, cwd=PROJECT_ROOT, env=ansible_env(lab.state_dir), **kwargs)
