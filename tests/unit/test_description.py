"""A bridge described once, in the inventory: read through Ansible's own inventory code."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge_cli import description, psk
from bridge_cli.cli import cli
from bridge_cli.errors import BridgeInputError
from bridge_cli.provision import tool

HOSTS = """\
bridges:
  hosts:
    garage:
      ansible_host: 192.0.2.10
    cabin:
  vars:
    ansible_user: solar
"""
GROUP = """\
bridge_wifi_ssid: "Bob's WiFi"
bridge_wifi_country: DE
bridge_wifi_psk: "{{ vault_psk }}"
bridge_base_timezone: Europe/Berlin
bridge_proxy_stats_port: 8404
"""
CABIN = "bridge_base_hostname: cabin-pvs\nbridge_wifi_ssid: CabinNet\n"


@pytest.fixture()
def inventory(tmp_path) -> Path:
    (tmp_path / "hosts.yml").write_text(HOSTS)
    group = tmp_path / "group_vars" / "bridges"
    group.mkdir(parents=True)
    (group / "main.yml").write_text(GROUP)
    (group / "vault.yml").write_text('vault_psk: "a long passphrase"\n')
    (tmp_path / "host_vars" / "cabin").mkdir(parents=True)
    (tmp_path / "host_vars" / "cabin" / "main.yml").write_text(CABIN)
    (tmp_path / "vault-pass").write_text("open sesame\n")
    subprocess.run(
        [tool("ansible-vault"), "encrypt", "--vault-password-file", str(tmp_path / "vault-pass"),
         str(group / "vault.yml")],
        check=True, capture_output=True,
    )  # fmt: skip
    return tmp_path / "hosts.yml"


def test_host_vars_beat_group_vars_and_role_defaults_fill_the_rest(inventory):
    vault = inventory.parent / "vault-pass"
    cabin = description.read(inventory, "cabin", vault)
    assert (cabin.hostname, cabin.wifi_ssid, cabin.wifi_country) == ("cabin-pvs", "CabinNet", "DE")
    assert (cabin.user, cabin.address, cabin.timezone) == ("solar", "cabin", "Europe/Berlin")
    assert (cabin.stats_port, cabin.http_port, cabin.pvs_interface) == (8404, 80, "eth0")
    assert cabin.secrets == {"wifi_psk": "a long passphrase"}
    garage = description.read(inventory, "garage", vault)
    assert (garage.address, garage.hostname, garage.wifi_ssid) == (
        "192.0.2.10", "pvs-bridge", "Bob's WiFi"
    )  # fmt: skip


@pytest.mark.parametrize(
    "host, vault, field",
    [
        ("nope", "vault-pass", "host"),
        ("cabin", None, "inventory"),  # the vault is closed: say how to open it
        ("cabin", "wrong-pass", "vault-password-file"),
        ("cabin", "missing-file", "vault-password-file"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(inventory, host, vault, field):
    (inventory.parent / "wrong-pass").write_text("not it\n")
    path = inventory.parent / vault if vault else None
    with pytest.raises(BridgeInputError) as exc:
        description.read(inventory, host, path)
    assert exc.value.field == field and "\n" not in str(exc.value)
    assert "a long passphrase" not in str(exc.value)


def _card(tmp_path) -> Path:
    card = tmp_path / "bootfs"
    card.mkdir()
    (card / "cmdline.txt").write_text(
        "console=serial0,115200 root=PARTUUID=1-02 rootwait "
        "init=/usr/lib/raspberrypi-sys-mods/firstboot\n"
    )
    (card / "config.txt").write_text("[all]\n")
    return card


def test_sdcard_write_takes_the_hosts_values_and_the_command_line_wins(inventory, tmp_path):
    card = _card(tmp_path)
    out = CliRunner().invoke(
        cli,
        ["sdcard", "write", str(card), "-i", str(inventory), "--host", "cabin",
         "--vault-password-file", str(inventory.parent / "vault-pass"),
         "--timezone", "America/Denver"],
        env={"BRIDGE_PASSWORD": "login-secret", "BRIDGE_WIFI_PSK": None},
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    toml = tomllib.loads((card / "custom.toml").read_text())
    assert toml["system"]["hostname"] == "cabin-pvs" and toml["user"]["name"] == "solar"
    assert toml["wlan"]["ssid"] == "".join(f"{b};" for b in b"CabinNet")
    assert toml["wlan"]["country"] == "DE"
    assert toml["wlan"]["password"] == psk.wifi_psk("CabinNet", "a long passphrase")
    assert toml["locale"]["timezone"] == "America/Denver"  # typed here: wins
    assert "a long passphrase" not in out.output


def test_sdcard_bad_inventory_host_leaves_the_card_untouched(inventory, tmp_path):
    card = _card(tmp_path)
    before = {p.name: p.read_bytes() for p in card.iterdir()}
    out = CliRunner().invoke(
        cli, ["sdcard", "write", str(card), "-i", str(inventory), "--host", "attic"],
        env={"BRIDGE_PASSWORD": "login-secret", "BRIDGE_WIFI_PSK": "a long passphrase"},
    )  # fmt: skip
    assert out.exit_code == 2
    assert out.output.strip().splitlines() == [
        f"error: host: 'attic' is not in {inventory} (hosts: cabin, garage)"
    ]
    assert {p.name: p.read_bytes() for p in card.iterdir()} == before
