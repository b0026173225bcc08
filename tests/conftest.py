"""Shared pytest configuration: skip the lab tests where the machine cannot run them."""

from __future__ import annotations

import pytest

from bridge_cli.lab.capabilities import missing_capabilities

pytest_plugins = ["pytester"]


def pytest_configure(config):
    # Ansible finds the roles as the collection pvs_bridge.bridge through this link
    # (ansible.cfg's collections_path); molecule runs ansible-playbook itself.
    from bridge_cli.resources import collections_path

    collections_path()


def marked_lab(items):
    """The items carrying the `lab` marker. Not `"lab" in item.keywords`: keywords also
    hold the names of the test's directory and module, so every pure test under tests/lab/
    would count as a lab test and be skipped on machines without the lab."""
    return [item for item in items if item.get_closest_marker("lab") is not None]


def pytest_collection_modifyitems(config, items):
    lab_items = marked_lab(items)
    if not lab_items:
        return
    missing = missing_capabilities()
    if missing:
        reason = "virtual lab unavailable: " + "; ".join(missing)
        for item in lab_items:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory):
    """The project built as a wheel and installed (not editable) into a fresh venv.

    Returns the venv's bin directory. Dependencies come from the package index (pip's
    cache makes this a few seconds after the first time)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    work = tmp_path_factory.mktemp("wheel")
    # Build from a copy of the checkout's files: setuptools writes build/ in the source tree.
    source = work / "source"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=root, capture_output=True, text=True
    )
    for name in listed.stdout.splitlines():
        if (root / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(source), "-w", str(work)],
        check=True,
        capture_output=True,
    )
    wheel = next(work.glob("pvs_bridge-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel)], capture_output=True, text=True
    )
    if install.returncode != 0:
        pytest.skip("cannot install the wheel's dependencies here: " + install.stderr[-300:])
    return venv / "bin"


@pytest.fixture(scope="session")
def ansible_only_bin(tmp_path_factory):
    """A venv with ansible-core alone (same version as ours), no pvs-bridge in it: what a
    user who installs only the collection has."""
    import subprocess
    import sys
    from importlib.metadata import version

    venv = tmp_path_factory.mktemp("ansible-only") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", f"ansible-core=={version('ansible-core')}"],
        capture_output=True,
        text=True,
    )
    if install.returncode != 0:
        pytest.skip("cannot install ansible-core here: " + install.stderr[-300:])
    return venv / "bin"
