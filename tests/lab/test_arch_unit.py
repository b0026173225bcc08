"""BRIDGE_LAB_ARCH: the guest architecture of the lab (pure logic)."""

from __future__ import annotations

import pytest

from bridge_cli.errors import BridgeInputError
from bridge_cli.lab import arch, image


def test_native_by_default(monkeypatch):
    monkeypatch.delenv("BRIDGE_LAB_ARCH", raising=False)
    assert arch.guest_arch() == arch.native() and not arch.is_foreign()
    assert image.base_path("bookworm").name == f"bookworm-r{image.RECIPE_VERSION['bookworm']}"


def test_armhf_has_its_own_base(monkeypatch):
    if arch.native() == "armhf":
        pytest.skip("armhf is this machine's own architecture")
    monkeypatch.setenv("BRIDGE_LAB_ARCH", "armhf")
    assert arch.is_foreign()
    assert image.base_path("bullseye").name == "bullseye-armhf-r" + image.RECIPE_VERSION["bullseye"]


def test_an_unknown_architecture_names_the_variable_and_the_choices(monkeypatch):
    monkeypatch.setenv("BRIDGE_LAB_ARCH", "sparc")
    with pytest.raises(BridgeInputError) as err:
        arch.guest_arch()
    assert "BRIDGE_LAB_ARCH" in str(err.value) and "armhf" in str(err.value)


def test_only_a_foreign_dhcpcd_guest_gets_the_qemu_dropin(monkeypatch):
    monkeypatch.delenv("BRIDGE_LAB_ARCH", raising=False)
    assert arch.guest_files("bullseye") == {}
    if arch.native() == "armhf":
        return
    monkeypatch.setenv("BRIDGE_LAB_ARCH", "armhf")
    files = arch.guest_files("bullseye")
    assert list(files) == ["etc/systemd/system/dhcpcd.service.d/lab-qemu.conf"]
    assert "LogRateLimitBurst=" in files["etc/systemd/system/dhcpcd.service.d/lab-qemu.conf"]
    assert arch.guest_files("bookworm") == {}
