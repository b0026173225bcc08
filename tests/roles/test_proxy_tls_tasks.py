"""The role's TLS tasks (roles/bridge_proxy/tasks/tls.yml) run for real on this machine.

ansible-playbook (connection local) runs the tasks with the real openssl, into a temporary
folder, against the 2025-firmware simulator's HTTPS port: the bridge certificate is made
(key 0600, the right names), kept on a second run, made again when it would expire soon;
the PVS's certificate is pinned, and pinned again only when asked. The role's handler is
replaced by a harmless one: nothing on this machine is restarted.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from roles_playbook import run_local_play

from bridge_cli import bridge_tls
from bridge_cli.provision import PROJECT_ROOT
from bridge_cli.simulator.server import SimulatorConfig, SimulatorServer
from harness.local_haproxy import free_port

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the tasks make root-owned files"),
    pytest.mark.skipif(not shutil.which("openssl"), reason="openssl not installed"),
]

TASKS = PROJECT_ROOT / "roles" / "bridge_proxy" / "tasks" / "tls.yml"


def run_tasks(tmp_path: Path, variables: dict) -> dict:
    """Run tls.yml once; the play's recap as {'changed': n, 'failed': n}."""
    playbook = tmp_path / "tls.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "The bridge_proxy TLS tasks",
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": True,
                    "tasks": [{"ansible.builtin.import_tasks": str(TASKS)}],
                    "handlers": [
                        {"name": "Restart haproxy", "ansible.builtin.debug": {"msg": "restart"}}
                    ],
                }
            ],
            sort_keys=False,
        )
    )
    files = tmp_path / "files"  # the role's files/ (pvs-bridge-pin), found beside the play
    if not files.exists():
        files.symlink_to(TASKS.parent.parent / "files")
    result = run_local_play(
        tmp_path, playbook, variables=variables,
        env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    recap = result.stdout.rsplit("PLAY RECAP", 1)[1]
    return {key: int(recap.split(f"{key}=", 1)[1].split()[0]) for key in ("changed", "failed")}


def tls_variables(tmp_path: Path, folder: Path, pvs_https_port: int) -> dict:
    """The role's TLS settings for a run of tls.yml on loopback (defaults, first use on)."""
    return {
        "bridge_proxy_tls_dir": str(folder),
        "bridge_proxy_tls_hostname": "pvs-bridge",
        "bridge_proxy_tls_certificate": "",
        "bridge_proxy_tls_key": "",
        "bridge_proxy_tls_days": 825,
        "bridge_proxy_tls_renew_days": 30,
        "bridge_proxy_pvs_address": "127.0.0.1",
        "bridge_proxy_pvs_https_port": pvs_https_port,
        "bridge_proxy_pvs_repin": False,
        "bridge_proxy_pvs_pin_on_first_use": True,
        "bridge_proxy_pvs_pin_interval": 60,
        "__bridge_proxy_pin_fact": str(tmp_path / "facts.d" / "bridge_proxy_pin.fact"),
    }


@pytest.fixture(scope="module")
def pvs():
    config = SimulatorConfig(latency="none", firmware=61845, ws_port=None)
    with SimulatorServer(config) as sim:
        yield sim


def test_certificate_made_kept_renewed_and_pvs_pinned(tmp_path, pvs):
    folder = tmp_path / "tls"
    variables = tls_variables(tmp_path, folder, int(pvs.https_url.rsplit(":", 1)[1]))
    assert run_tasks(tmp_path, variables)["changed"] >= 2
    pem = folder / "bridge.pem"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(pem.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"pvs-bridge", "pvs-bridge.local"} <= set(names.get_values_for_type(x509.DNSName))
    assert b"PRIVATE KEY" in pem.read_bytes()
    presented = bridge_tls.presented_certificate(
        "127.0.0.1", variables["bridge_proxy_pvs_https_port"]
    )
    pin = folder / "pvs-pinned.pem"
    assert pin.read_text().strip() == presented.strip()
    assert stat.S_IMODE(pin.stat().st_mode) == 0o644 and pin.stat().st_uid == 0
    record = json.loads((tmp_path / "facts.d" / "bridge_proxy_pin.fact").read_text())
    assert record["pvs_pin_sha256"] == bridge_tls.fingerprint(
        x509.load_pem_x509_certificate(presented.encode())
    )
    assert record["pinned_by"] == "provisioning"

    # A second run changes nothing (no new certificate, no new pin, no restart).
    assert run_tasks(tmp_path, variables)["changed"] == 0
    assert x509.load_pem_x509_certificate(pem.read_bytes()) == cert

    # Expiring within the renewal window (here: renew 900 days ahead of 825): made again.
    assert run_tasks(tmp_path, variables | {"bridge_proxy_tls_renew_days": 900})["changed"] >= 1
    assert x509.load_pem_x509_certificate(pem.read_bytes()) != cert

    # Another PVS: the pin stays until a re-pin is asked for.
    bridge_tls.make_self_signed(tmp_path / "other.pem", "other", ["127.0.0.1"])
    other = (tmp_path / "other.pem").read_text().split("-----BEGIN PRIVATE KEY-----")[0]
    pin.write_text(other)
    run_tasks(tmp_path, variables)
    assert pin.read_text() == other
    run_tasks(tmp_path, variables | {"bridge_proxy_pvs_repin": True})
    assert pin.read_text().strip() == presented.strip()


def test_nothing_presented_the_placeholder_stands_in_until_first_use_is_off(tmp_path):
    """Legacy firmware at provisioning (nothing answers TLS): haproxy's ca-file is the
    placeholder that trusts nothing, kept as it is on a second run; with first-use pinning
    switched off it goes again (haproxy then answers 503 'unpinned' on its own)."""
    folder = tmp_path / "tls"
    # nothing listens on the PVS port: legacy firmware
    variables = tls_variables(tmp_path, folder, free_port())
    run_tasks(tmp_path, variables)
    pin, placeholder = folder / "pvs-pinned.pem", folder / "pvs-placeholder.pem"
    assert pin.read_bytes() == placeholder.read_bytes()
    assert "no PVS certificate pinned yet" in str(
        x509.load_pem_x509_certificate(pin.read_bytes()).subject
    )
    assert not (tmp_path / "facts.d" / "bridge_proxy_pin.fact").exists()  # nothing pinned
    assert run_tasks(tmp_path, variables)["changed"] == 0
    assert (
        run_tasks(tmp_path, variables | {"bridge_proxy_pvs_pin_on_first_use": False})["changed"]
        == 1
    )
    assert not pin.exists() and not placeholder.exists()
