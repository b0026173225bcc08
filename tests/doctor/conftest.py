"""Fixtures for the doctor's tests: a real bridge on loopback, an empty network namespace."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """The doctor remembers dl_untransmitted under $XDG_CACHE_HOME: keep tests out of ~."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture
def bed():
    """Legacy-firmware simulator (latency off) behind the role's haproxy on 127.x."""
    from harness.testbed import testbed

    with testbed() as b:
        yield b


@pytest.fixture
def new_fw_bed(tmp_path):
    from harness.testbed import testbed

    with testbed(firmware=61845, state_dir=tmp_path) as b:
        yield b


@pytest.fixture
def empty_netns():
    """A fresh network namespace with only `lo` (down) and a resolv.conf at 127.0.0.1:
    nothing inside can reach anything, names fail locally. Needs root and `ip`."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 (ip netns)")
    name = f"doctor-t{os.getpid()}-{time.monotonic_ns() % 100000}"
    etc = Path("/etc/netns") / name
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").write_text("nameserver 127.0.0.1\n")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
        shutil.rmtree(etc, ignore_errors=True)
