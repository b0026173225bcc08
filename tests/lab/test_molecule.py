"""The molecule scenarios, run for real: create (lab up), converge, idempotence, verify.

Each scenario boots a lab bridge of one Raspberry Pi OS flavour and provisions it with
playbooks/site.yml; `molecule test` fails when converge, idempotence or verify fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))

pytestmark = [pytest.mark.lab, pytest.mark.slow]


@pytest.mark.skipif(
    not (ROOT / "playbooks" / "site.yml").exists(), reason="playbooks/site.yml not written yet"
)
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario, tmp_path):
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    result = subprocess.run(
        [str(Path(bindir) / "molecule"), "test", "-s", scenario],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    output = result.stdout + result.stderr  # molecule writes the playbooks' output to stderr
    (tmp_path / f"molecule-{scenario}.log").write_text(output)
    tail = "\n".join(output.splitlines()[-80:])
    assert result.returncode == 0, f"molecule test -s {scenario} failed:\n{tail}"
    assert_the_stack_was_detected_once_per_run(output, scenario)


DETECTION = "TASK [pvs_bridge.bridge.bridge_network : Decide the network stack (once per host)]"


def assert_the_stack_was_detected_once_per_run(output: str, scenario: str) -> None:
    """bridge_pvs_link and bridge_wifi both depend on bridge_network: in each playbook run
    that converges them the stack is decided exactly once (the task ran, not skipped), and
    it is the release's (settings.RELEASE_NETWORK_STACK: bullseye dhcpcd, bookworm
    NetworkManager, trixie netplan). That both roles then wrote for that one stack is
    checked on the bridge (molecule/shared/tests/test_roles.py)."""
    from bridge_cli import settings

    runs = [run for run in output.split("PLAY RECAP") if "bridge_pvs_link :" in run]
    assert runs, "no converge output"
    for run in runs:
        tasks = run.split("\nTASK [")
        ran = [
            t
            for t in tasks
            if ("TASK [" + t).startswith(DETECTION) and re.search(r"^ok: ", t, re.M)
        ]
        assert len(ran) == 1, f"the stack was decided {len(ran)} times in one run"
        assert run.count("bridge_network : Decide the network stack") == 1
    expected = settings.RELEASE_NETWORK_STACK[scenario]
    assert f"Network stack: {expected}" in output, expected
