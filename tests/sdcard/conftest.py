"""Fixtures for the SD-card tests: fake boot partitions, real SSH keys, secrets in env."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sdcard_helpers import PASSWORD, WIFI_PASSPHRASE, make_boot

from bridge_cli.cli import cli


@pytest.fixture
def boot(tmp_path) -> Path:
    return make_boot(tmp_path / "bootfs", "bookworm")


@pytest.fixture(scope="session")
def keypair(tmp_path_factory) -> tuple[Path, Path]:
    """(public key file, private key file) of a real ed25519 key."""
    d = tmp_path_factory.mktemp("keys")
    key = ed25519.Ed25519PrivateKey.generate()
    pub = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    priv = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    (d / "id_ed25519.pub").write_bytes(pub + b" me@laptop\n")
    (d / "id_ed25519").write_bytes(priv)
    os.chmod(d / "id_ed25519", 0o600)
    return d / "id_ed25519.pub", d / "id_ed25519"


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv("BRIDGE_PASSWORD", PASSWORD)
    monkeypatch.setenv("BRIDGE_WIFI_PSK", WIFI_PASSPHRASE)
    return {"BRIDGE_PASSWORD": PASSWORD, "BRIDGE_WIFI_PSK": WIFI_PASSPHRASE}


@pytest.fixture
def no_secret_env(monkeypatch):
    monkeypatch.delenv("BRIDGE_PASSWORD", raising=False)
    monkeypatch.delenv("BRIDGE_WIFI_PSK", raising=False)


@pytest.fixture
def run():
    """Invoke `bridge-cli ARGS...` in-process; returns click's Result (stdout/stderr apart)."""

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke
