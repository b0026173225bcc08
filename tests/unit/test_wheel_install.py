"""The built wheel works installed (not editable), from outside the checkout."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CMDLINE = (
    "console=serial0,115200 root=PARTUUID=1-02 rootwait "
    "init=/usr/lib/raspberrypi-sys-mods/firstboot\n"
)


def run(bindir: Path, cwd: Path, *args: str, env: dict | None = None):
    full = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(cwd), **(env or {})}
    return subprocess.run(
        [str(bindir / "bridge-cli"), *args], cwd=cwd, env=full, capture_output=True, text=True
    )


def test_installed_cli_uses_its_own_copy_of_the_templates(installed_wheel, tmp_path):
    where = subprocess.run(
        [str(installed_wheel / "python"), "-c",
         "import bridge_cli.resources as r; print(r.PROJECT_ROOT)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    root = Path(where.stdout.strip())
    assert root.parts[-2:] == ("bridge_cli", "_shipped")
    assert str(root).startswith(str(installed_wheel.parent))
    for item in ("roles/bridge_proxy/templates/haproxy.cfg.j2", "playbooks/site.yml",
                 "templates/sdcard", "ansible.cfg"):  # fmt: skip
        assert (root / item).exists(), item


def test_installed_wheel_holds_no_harness(installed_wheel, tmp_path):
    """The test harness (harness/: benchmarks, test beds) stays in the checkout."""
    probe = subprocess.run(
        [str(installed_wheel / "python"), "-c",
         "import importlib.util as u; print(u.find_spec('harness'), u.find_spec('bridge_cli'))"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    harness, product = probe.stdout.split(" ", 1)
    assert harness == "None" and product != "None"
    lab_help = run(installed_wheel, tmp_path, "lab", "--help")
    assert lab_help.returncode == 0 and "soak" in lab_help.stdout
    assert "bench" not in lab_help.stdout


def test_installed_cli_writes_a_card(installed_wheel, tmp_path):
    card = tmp_path / "bootfs"
    card.mkdir()
    (card / "cmdline.txt").write_text(CMDLINE)
    (card / "config.txt").write_text("[all]\n")
    out = run(
        installed_wheel, tmp_path, "sdcard", "write", str(card), "--release", "bookworm",
        "--wifi-ssid", "Home WiFi", "--wifi-country", "US",
        env={"BRIDGE_PASSWORD": "a-login-pw", "BRIDGE_WIFI_PSK": "a-wifi-passphrase"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    import tomllib

    wlan = tomllib.loads((card / "custom.toml").read_text())["wlan"]
    # The SSID as NetworkManager's decimal byte list (what set_wlan copies into the keyfile).
    assert wlan["ssid"] == "".join(f"{b};" for b in b"Home WiFi") and wlan["country"] == "US"
    assert json.loads((card / "pvs-bridge-sdcard.json").read_text())


def test_installed_cli_finds_its_playbook_and_roles(installed_wheel, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("bridges:\n  hosts:\n    site-a:\n      ansible_host: 127.0.0.1\n")
    out = run(installed_wheel, tmp_path, "provision", "-i", str(inventory), "--check",
              "--syntax-check")  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{installed_wheel.parent}" in out.stdout and "_shipped/playbooks/site.yml" in out.stdout
