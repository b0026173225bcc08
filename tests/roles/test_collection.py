"""The roles as an Ansible collection: built, installed, used from a user's own playbook
with nothing of this checkout (and no bridge_cli) on the controller."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from bridge_cli.provision import tool
from bridge_cli.resources import PROJECT_ROOT

pytestmark = pytest.mark.slow

PLAYBOOK = """\
- name: A user's own playbook
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The role's own argument checks, by FQCN
      ansible.builtin.include_role:
        name: pvs_bridge.bridge.bridge_proxy
        tasks_from: assert
    - name: A filter of the collection
      ansible.builtin.debug:
        msg: "PSK={{ 'correct horse' | pvs_bridge.bridge.wifi_psk('Home') }}"
"""


@pytest.fixture(scope="module")
def installed_collection(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("collection")
    subprocess.run(
        [tool("ansible-galaxy"), "collection", "build", "--output-path", str(work)],
        cwd=PROJECT_ROOT, check=True, capture_output=True,
    )  # fmt: skip
    tarball = next(work.glob("pvs_bridge-bridge-*.tar.gz"))
    cols = work / "cols"
    subprocess.run(
        [tool("ansible-galaxy"), "collection", "install", "--offline", "--force", "-p",
         str(cols), str(tarball)],
        cwd=work, env={"PATH": "/usr/bin:/bin", "HOME": str(work)}, check=True,
        capture_output=True,
    )  # fmt: skip
    installed = cols / "ansible_collections" / "pvs_bridge" / "bridge"
    assert (installed / "roles" / "bridge_proxy" / "meta" / "argument_specs.yml").exists()
    assert not (installed / "bridge_cli").exists() and not (installed / "tests").exists()
    return cols


def play(ansible_only_bin: Path, cols: Path, cwd: Path, *extra: str):
    (cwd / "site.yml").write_text(PLAYBOOK)
    env = {
        "PATH": f"{ansible_only_bin}:/usr/bin:/bin",
        "HOME": str(cwd),
        "ANSIBLE_COLLECTIONS_PATH": str(cols),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_PYTHON_INTERPRETER": str(ansible_only_bin / "python"),
    }
    return subprocess.run(
        [str(ansible_only_bin / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "site.yml", *extra],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_users_playbook_runs_the_roles_and_filters(
    installed_collection, ansible_only_bin, tmp_path
):
    no_bridge_cli = subprocess.run(
        [str(ansible_only_bin / "python"), "-c", "import bridge_cli"], cwd=tmp_path
    )
    assert no_bridge_cli.returncode != 0
    out = play(ansible_only_bin, installed_collection, tmp_path)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    expected = hashlib.pbkdf2_hmac("sha1", b"correct horse", b"Home", 4096, 32).hex()
    assert f"PSK={expected}" in out.stdout


def test_users_bad_value_is_one_line_naming_the_variable(
    installed_collection, ansible_only_bin, tmp_path
):
    out = play(ansible_only_bin, installed_collection, tmp_path, "-e", "bridge_proxy_http_port=0")
    assert out.returncode != 0
    assert "bridge_proxy_http_port: '0' is not a port number (1-65535)" in out.stdout, out.stdout
