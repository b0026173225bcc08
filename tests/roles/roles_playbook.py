"""Run a play on localhost with the project's ansible-playbook, configuration and collection:
the role tests' one way to do it (bridge_cli.provision runs the real playbooks for users).

Facts stay in memory and Ansible's temporary files under WORK, so runs never share state;
modules run with this Python (the venv's, which the filters need)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bridge_cli.provision import PROJECT_ROOT, ansible_environment, ansible_playbook_path


def run_local_play(
    work: Path,
    playbook: Path,
    *args: str,
    variables: dict | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """ansible-playbook PLAYBOOK on localhost; VARIABLES as extra vars (WORK/vars.json),
    ARGS appended, ENV over the project's Ansible environment. Not checked: callers judge."""
    argv = [ansible_playbook_path(), "-i", "localhost,", str(playbook),
            "-e", f"ansible_python_interpreter={sys.executable}"]  # fmt: skip
    if variables is not None:
        extra = work / "vars.json"
        extra.write_text(json.dumps(variables))
        argv += ["-e", f"@{extra}"]
    full_env = ansible_environment() | {
        "ANSIBLE_CACHE_PLUGIN": "memory",
        "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
        **(env or {}),
    }
    return subprocess.run(
        [*argv, *args], cwd=PROJECT_ROOT, env=full_env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
