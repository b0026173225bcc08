"""The molecule scenarios, run for real: create (lab up), converge, idempotence, verify.

Each scenario boots a lab bridge of one Raspberry Pi OS flavour and provisions it with
playbooks/site.yml; `molecule test` fails when converge, idempotence or verify fails.
"""

from __future__ import annotations

import os
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
def test_molecule_scenario(scenario):
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    result = subprocess.run(
        [str(Path(bindir) / "molecule"), "test", "-s", scenario],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-80:])
    assert result.returncode == 0, f"molecule test -s {scenario} failed:\n{tail}"
