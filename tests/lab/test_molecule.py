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


DETECTION = re.compile(
    r"TASK \[pvs_bridge\.bridge\.bridge_network : Decide the network stack \(once per host\)\]"
    r" \**( \[WARNING\][^*]*?)? (ok|changed): \["
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(output: str) -> str:
    """Molecule's output without colours, its frame (│) and its line wrapping."""
    return " ".join(ANSI.sub("", output).replace("\u2502", " ").split())


def assert_the_stack_was_detected_once_per_run(output: str, scenario: str) -> None:
    """bridge_pvs_link and bridge_wifi both depend on bridge_network: in each playbook run
    that converges them the stack is decided exactly once (the task ran, not skipped), and
    it is the release's (settings.RELEASE_NETWORK_STACK: bullseye dhcpcd, bookworm
    NetworkManager, trixie netplan). That both roles then wrote for that one stack is
    checked on the bridge (molecule/shared/tests/test_roles.py)."""
    from bridge_cli import settings

    runs = [run for run in plain(output).split("PLAY RECAP") if "bridge_pvs_link :" in run]
    assert len(runs) == 2, "expected the converge and the idempotence run"
    expected = settings.RELEASE_NETWORK_STACK[scenario]
    for run in runs:
        ran = len(DETECTION.findall(run))
        assert ran == 1, f"the stack was decided {ran} times in one run"
        assert run.count("bridge_network : Decide the network stack") == 1
        assert f'"msg": "Network stack: {expected}' in run, expected
