"""The reference tables in docs/ and roles/*/README.md are generated from the code and current."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_reference.py"


def _module():
    spec = importlib.util.spec_from_file_location("gen_reference", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generated_reference_is_current():
    run = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_role_readme_follows_the_argument_spec(tmp_path):
    role = tmp_path / "bridge_proxy"
    shutil.copytree(ROOT / "roles" / "bridge_proxy" / "meta", role / "meta")
    before = _module().role_readme(role)
    spec = role / "meta" / "argument_specs.yml"
    spec.write_text(
        spec.read_text().replace(
            "    options:\n",
            "    options:\n      bridge_proxy_new_knob:\n        type: int\n        default: 7\n"
            "        description: A knob only this test has.\n",
            1,
        )
    )
    after = _module().role_readme(role)
    assert "bridge_proxy_new_knob" not in before
    assert "| `bridge_proxy_new_knob` | int | `7` |  | A knob only this test has. |" in after


def test_cli_reference_lists_every_command():
    from bridge_cli.cli import cli

    text = _module().cli_reference()
    for name in cli.commands:
        assert f"## `bridge-cli {name}" in text
