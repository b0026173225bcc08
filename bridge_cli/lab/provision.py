"""Run the project's real playbook against a lab bridge (from the host namespace, via SSH)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import bridge_cli
from bridge_cli.errors import BridgeFailure

PROJECT_ROOT = Path(bridge_cli.__file__).resolve().parent.parent
SITE_PLAYBOOK = PROJECT_ROOT / "playbooks" / "site.yml"
ANSIBLE_CFG = PROJECT_ROOT / "ansible.cfg"


def tool(name: str) -> str:
    """A tool installed next to this Python (the venv), else on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise BridgeFailure(f"{name} not found (pip install -e '.[dev]' in the venv)")
    return found


def ansible_env(state_dir: Path) -> dict:
    env = dict(os.environ)
    env["ANSIBLE_CONFIG"] = str(ANSIBLE_CFG)
    # Facts of a previous lab with the same name must not be taken for this one's.
    env["ANSIBLE_CACHE_PLUGIN_CONNECTION"] = str(state_dir / "facts")
    env["ANSIBLE_LOCAL_TEMP"] = str(state_dir / "ansible-tmp")
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    return env


def playbook_argv(inventory: Path, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    if not SITE_PLAYBOOK.exists():
        raise BridgeFailure(
            f"{SITE_PLAYBOOK.relative_to(PROJECT_ROOT)} does not exist yet (the roles are "
            "written in parallel); nothing to provision"
        )
    return [tool("ansible-playbook"), "-i", str(inventory), str(SITE_PLAYBOOK), *extra]


def run_playbook(lab, extra: list[str] | tuple[str, ...] = (), **kwargs):
    """ansible-playbook playbooks/site.yml against `lab` (a started Lab)."""
    if lab.status()["state"] != "up":
        raise BridgeFailure(f"lab {lab.name!r} is not up (bridge-cli lab up --name {lab.name})")
    inventory = lab.write_inventory()
    argv = playbook_argv(inventory, extra)
    return subprocess.run(argv, cwd=PROJECT_ROOT, env=ansible_env(lab.state_dir), **kwargs)
