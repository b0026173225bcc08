"""`bridge-cli lab demo` end to end: lab up, the real playbook, the doctor, how to reach it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bridge_cli.lab import Lab

pytestmark = [pytest.mark.lab, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
NAME = "pytest-demo"


@pytest.mark.skipif(
    not (ROOT / "playbooks" / "site.yml").exists(), reason="playbooks/site.yml not written yet"
)
@pytest.mark.timeout(1200)
def test_demo_provisions_a_bridge_that_answers_device_list():
    lab = Lab(NAME)
    lab.down()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bridge_cli", "lab", "demo", "--name", NAME],
            capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "converge (playbooks/site.yml)" in result.stdout
        assert "DeviceList through the bridge (GET " in result.stdout
        assert " 12 Inverter" in result.stdout  # the simulator's devices, seen from home
        assert f"bridge-cli lab ssh --name {NAME}" in result.stdout
        url = f"http://{lab.bridge_address}/cgi-bin/dl_cgi?Command=DeviceList"
        out = subprocess.run(
            [sys.executable, "-m", "bridge_cli", "lab", "exec", "--name", NAME, "--",
             "curl", "-sS", "-m", "20", url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert json.loads(out.stdout)["devices"]
    finally:
        lab.down()
