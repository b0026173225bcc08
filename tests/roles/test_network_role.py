"""bridge_network is pulled in by each role that writes a link, so a user's playbook may
use bridge_pvs_link or bridge_wifi alone (real ansible-playbook, --list-tasks: nothing runs).
That it runs once and both roles agree is proven on the lab (tests/lab/test_molecule.py)."""

from __future__ import annotations

import pytest
from roles_playbook import run_local_play


def listed_tasks(tmp_path, roles: list[str]) -> list[str]:
    playbook = tmp_path / "play.yml"
    lines = ["- name: A user's own play", "  hosts: localhost", "  roles:"]
    lines += [f"    - role: pvs_bridge.bridge.{role}" for role in roles]
    playbook.write_text("\n".join(lines) + "\n")
    result = run_local_play(tmp_path, playbook, "--list-tasks")
    result.check_returncode()
    out = result.stdout
    return [line.split("\t")[0].strip() for line in out.splitlines() if " : " in line]


@pytest.mark.parametrize("role", ["bridge_pvs_link", "bridge_wifi"])
def test_a_role_alone_brings_the_network_stack_first(tmp_path, role):
    tasks = listed_tasks(tmp_path, [role])
    detect = tasks.index("pvs_bridge.bridge.bridge_network : Detect the network stack")
    own = next(i for i, t in enumerate(tasks) if t.startswith(f"pvs_bridge.bridge.{role} :"))
    assert detect < own, tasks
