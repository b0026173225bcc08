"""All-or-nothing writes: a failure part-way leaves the folder exactly as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from sdcard_helpers import snapshot

from bridge_cli.errors import BridgeFailure
from bridge_cli.sdcard import atomic


def test_writes_all_files_with_modes(tmp_path):
    atomic.write_all(
        tmp_path,
        [atomic.FileWrite("a", b"secret", 0o600), atomic.FileWrite("b", b"public", 0o644)],
    )
    assert snapshot(tmp_path) == {"a": (b"secret", 0o600), "b": (b"public", 0o644)}


def test_failure_midway_restores_everything(tmp_path):
    (tmp_path / "a").write_bytes(b"old a")
    (tmp_path / "c").mkdir()  # a folder where a file must go: the rename fails for real
    before = snapshot(tmp_path)
    files = [
        atomic.FileWrite("a", b"new a", 0o600, old_content=b"old a", old_mode=0o644),
        atomic.FileWrite("b", b"new b", 0o644),
        atomic.FileWrite("c", b"new c", 0o644),
    ]
    with pytest.raises(BridgeFailure, match="could not write c"):
        atomic.write_all(tmp_path, files)
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "c"]  # no temporaries left


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare(1)"
)
def test_read_only_boot_dir_is_refused_before_anything(tmp_path):
    """A real read-only mount (private mount namespace): the CLI refuses, exit 2."""
    script = (
        f"mount -t tmpfs -o size=1m tmpfs {tmp_path} && "
        f"printf 'root=x rootwait\\n' > {tmp_path}/cmdline.txt && "
        f"touch {tmp_path}/config.txt && mount -o remount,ro {tmp_path} && "
        f"{sys.executable} -m bridge_cli sdcard write {tmp_path} --release bookworm "
        "--wifi-ssid Home --wifi-country US"
    )
    env = dict(os.environ, BRIDGE_PASSWORD="pw123456", BRIDGE_WIFI_PSK="passphrase")
    r = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert r.stderr.startswith("error: boot-dir:") and "not writable" in r.stderr
