"""`bridge-cli sdcard write` end to end through click, on folders laid out like boot partitions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib

import pytest
import yaml
from passlib.hash import sha512_crypt
from sdcard_helpers import PASSWORD, WIFI_PASSPHRASE, make_boot, snapshot

from bridge_cli.sdcard import commands as sdcard_commands
from bridge_cli.sdcard.commands import write

BASE = ["--wifi-ssid", 'Café "Net" #1', "--wifi-country", "us"]
# What auto-detection names as its evidence, per release fixture.
REASONS = {
    "bullseye": "cmdline.txt runs init_resize.sh",
    "bookworm": "cmdline.txt runs raspberrypi-sys-mods/firstboot",
    "trixie": "cloud-init files: user-data, network-config, meta-data",
}


def sd(boot, *extra):
    return ["sdcard", "write", str(boot), *BASE, *extra]


@pytest.mark.parametrize(
    ("release", "expected"),
    [
        ("bullseye", {"ssh", "userconf.txt", "wpa_supplicant.conf"}),
        ("bookworm", {"ssh", "userconf.txt", "custom.toml"}),
        ("trixie", {"user-data", "network-config", "meta-data"}),
    ],
)
def test_auto_release_writes_that_release_and_says_so(
    tmp_path, run, secret_env, keypair, release, expected
):
    boot = make_boot(tmp_path / "boot", release)
    before = snapshot(boot)
    r = run(*sd(boot, "--ssh-key", keypair[0], "--timezone", "Europe/Berlin"))
    assert r.exit_code == 0, r.stderr
    assert f"release: {release} (found {REASONS[release]}" in r.stdout
    after = snapshot(boot)
    written = {name for name in after if before.get(name) != after[name]} - {"cmdline.txt"}
    assert written == expected | {"pvs-bridge-sdcard.json"}
    assert "cfg80211.ieee80211_regdom=US" in (boot / "cmdline.txt").read_text()
    assert (boot / "cmdline.txt").read_text().count("\n") == 1
    assert PASSWORD not in r.output and WIFI_PASSPHRASE not in r.output


@pytest.mark.parametrize("release", ["bullseye", "bookworm", "trixie"])
def test_running_twice_gives_the_same_card(tmp_path, run, secret_env, keypair, release):
    boot = make_boot(tmp_path / "boot", release)
    args = sd(boot, "--release", release, "--ssh-key", keypair[0])
    assert run(*args).exit_code == 0
    first = snapshot(boot)
    r = run(*args)
    assert r.exit_code == 0, r.stderr
    assert "already up to date, nothing written" in r.stdout
    assert snapshot(boot) == first


def test_changed_settings_replace_our_own_files_without_force(tmp_path, run, secret_env):
    boot = make_boot(tmp_path / "boot", "bookworm")
    assert run(*sd(boot)).exit_code == 0
    r = run(*sd(boot, "--hostname", "garage-bridge"))
    assert r.exit_code == 0, r.stderr
    data = tomllib.loads((boot / "custom.toml").read_text())
    assert data["system"]["hostname"] == "garage-bridge"


def test_secret_files_are_not_world_readable(tmp_path, run, secret_env):
    for release, secret_files in (
        ("bookworm", ("userconf.txt", "custom.toml")),
        ("bullseye", ("wpa_supplicant.conf",)),
        ("trixie", ("user-data", "network-config")),
    ):
        boot = make_boot(tmp_path / release, release)
        assert run(*sd(boot)).exit_code == 0
        for name in secret_files:
            assert (boot / name).stat().st_mode & 0o777 == 0o600, name


def test_dry_run_writes_nothing_and_masks_secrets(tmp_path, run, secret_env, keypair):
    boot = make_boot(tmp_path / "boot", "trixie")
    before = snapshot(boot)
    r = run(*sd(boot, "--dry-run", "--ssh-key", keypair[0]))
    assert r.exit_code == 0, r.stderr
    assert snapshot(boot) == before
    assert "nothing is written" in r.stdout
    assert "--- user-data" in r.stdout and "--- network-config" in r.stdout
    assert "<password hash hidden>" in r.stdout and "<WiFi PSK hidden>" in r.stdout
    assert "$6$" not in r.stdout
    assert PASSWORD not in r.output and WIFI_PASSPHRASE not in r.output
    # the real run writes the hashes the dry run hid
    assert run(*sd(boot, "--ssh-key", keypair[0])).exit_code == 0
    ud = yaml.safe_load((boot / "user-data").read_text())
    assert ud["user"]["hashed_passwd"] not in r.stdout
    assert sha512_crypt.verify(PASSWORD, ud["user"]["hashed_passwd"])


def test_secrets_from_files(tmp_path, run, no_secret_env):
    boot = make_boot(tmp_path / "boot", "bookworm")
    pw, psk = tmp_path / "pw", tmp_path / "psk"
    pw.write_text("file password\n")
    psk.write_text("file passphrase\r\n")
    pw.chmod(0o600)
    psk.chmod(0o644)
    r = run(*sd(boot, "--password-file", pw, "--wifi-psk-file", psk))
    assert r.exit_code == 0, r.stderr
    assert "wifi-psk-file:" in r.stderr and "chmod 600" in r.stderr  # readable by others
    data = tomllib.loads((boot / "custom.toml").read_text())
    assert sha512_crypt.verify("file password", data["user"]["password"])


def test_hidden_confirmed_prompts(tmp_path, run, no_secret_env, monkeypatch):
    # CliRunner's stdin is no terminal; test_sdcard_tty.py drives the real one on a pty
    monkeypatch.setattr(sdcard_commands, "_stdin_is_terminal", lambda: True)
    boot = make_boot(tmp_path / "boot", "bookworm")
    r = run(*sd(boot), input="prompt pw\nprompt pw\nwifi passphrase\nwifi passphrase\n")
    assert r.exit_code == 0, r.output
    assert "prompt pw" not in r.output and "wifi passphrase" not in r.output  # hidden
    assert "Login password for user pi" in r.output
    data = tomllib.loads((boot / "custom.toml").read_text())
    assert sha512_crypt.verify("prompt pw", data["user"]["password"])


def test_secrets_cannot_be_given_on_the_command_line(tmp_path, run, secret_env):
    names = {opt for p in write.params for opt in getattr(p, "opts", [])}
    assert not {"--password", "--wifi-psk", "--psk", "--wifi-password"} & names
    boot = make_boot(tmp_path / "boot", "bookworm")
    before = snapshot(boot)
    r = run(*sd(boot, "--password", "hunter22"))
    assert r.exit_code == 2 and "No such option" in r.stderr
    assert snapshot(boot) == before


def test_help_is_usable_and_shows_no_secrets(run):
    r = run("sdcard", "write", "--help")
    assert r.exit_code == 0
    for words in ("BRIDGE_PASSWORD", "BRIDGE_WIFI_PSK", "--password-file", "--dry-run", "trixie"):
        assert words in r.stdout
    assert "hunter" not in r.stdout and "password=" not in r.stdout.lower()


def test_foreign_file_needs_force(tmp_path, run, secret_env):
    boot = make_boot(tmp_path / "boot", "bookworm")
    (boot / "custom.toml").write_text("# my own\nconfig_version = 1\n")
    before = snapshot(boot)
    r = run(*sd(boot))
    assert r.exit_code == 2
    assert r.stderr == (
        f"error: boot-dir: custom.toml already exists in {boot} and was not written by "
        "bridge-cli nor the image's own template (Raspberry Pi Imager's OS customisation?); "
        "flash without it, or use --force to overwrite\n"
    )
    assert snapshot(boot) == before
    r = run(*sd(boot, "--force"))
    assert r.exit_code == 0, r.stderr
    assert "bridge-cli" in (boot / "custom.toml").read_text()


def test_non_boot_folder_needs_force(tmp_path, run, secret_env):
    folder = tmp_path / "docs"
    folder.mkdir()
    r = run(*sd(folder, "--release", "bookworm"))
    assert r.exit_code == 2 and "not a Raspberry Pi boot partition" in r.stderr
    assert list(folder.iterdir()) == []
    r = run(*sd(folder, "--release", "bookworm", "--force"))
    assert r.exit_code == 0
    assert "add cfg80211.ieee80211_regdom=US" in r.stderr
    assert (folder / "custom.toml").exists() and not (folder / "cmdline.txt").exists()


def test_imager_firstrun_is_warned_about(tmp_path, run, secret_env):
    boot = make_boot(tmp_path / "boot", "bookworm")
    line = (boot / "cmdline.txt").read_text().rstrip("\n")
    (boot / "cmdline.txt").write_text(line + " systemd.run=/boot/firstrun.sh\n")
    r = run(*sd(boot))
    assert r.exit_code == 0 and "firstrun.sh" in r.stderr


# Every bad input: one line `error: <field>: ...`, exit 2, nothing written.
BAD = [
    (["--wifi-ssid", ""], "wifi-ssid", "1-32 bytes"),
    (["--wifi-ssid", "é" * 17], "wifi-ssid", "1-32 bytes"),
    (["--wifi-country", "XX"], "wifi-country", "ISO 3166"),
    (["--wifi-country", "USA"], "wifi-country", "ISO 3166"),
    (["--hostname", "pvs_bridge"], "hostname", "RFC 1123"),
    (["--hostname", "-bridge"], "hostname", "RFC 1123"),
    (["--user", "root"], "user", "not 'root'"),
    (["--user", "Pi"], "user", "lower-case"),
    (["--user", "a" * 33], "user", "1-32"),
    (["--user", "daemon"], "user", "system account"),
    (["--user", "www-data"], "user", "system account"),
    (["--user", "sudo"], "user", "system account"),
    (["--user", "systemd-network"], "user", "system account"),
    (["--timezone", "Mars/Olympus_Mons"], "timezone", "tz database"),
    (["--keymap", "US KEYS"], "keymap", "keyboard layout"),
    (["--locale", "english please"], "locale", "locale name"),
    (["--release", "buster"], "release", "auto, bullseye, bookworm or trixie"),
]


@pytest.mark.parametrize(("args", "field", "words"), BAD)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, run, secret_env, args, field, words):
    boot = make_boot(tmp_path / "boot", "bookworm")
    before = snapshot(boot)
    r = run(*sd(boot), *args)
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"error: {field}: ")
    assert words in r.stderr
    assert "Traceback" not in r.output
    assert snapshot(boot) == before


@pytest.mark.parametrize(
    ("passphrase", "words"),
    [
        ("short", "8-63"),
        ("x" * 64, "8-63"),
        ("y" * 70, "8-63"),
        ("tab\there!", "printable ASCII"),
        ("naïve-passphrase", "printable ASCII"),
    ],
)
def test_bad_passphrase(tmp_path, run, monkeypatch, passphrase, words):
    monkeypatch.setenv("BRIDGE_PASSWORD", PASSWORD)
    monkeypatch.setenv("BRIDGE_WIFI_PSK", passphrase)
    boot = make_boot(tmp_path / "boot", "bookworm")
    before = snapshot(boot)
    r = run(*sd(boot))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("error: wifi-psk: ") and words in r.stderr
    assert passphrase not in r.output  # a secret is never echoed
    assert snapshot(boot) == before


def test_64_hex_passphrase_is_a_raw_psk(tmp_path, run, monkeypatch):
    monkeypatch.setenv("BRIDGE_PASSWORD", PASSWORD)
    monkeypatch.setenv("BRIDGE_WIFI_PSK", "0123456789abcdef" * 4)
    boot = make_boot(tmp_path / "boot", "bookworm")
    assert run(*sd(boot)).exit_code == 0
    assert tomllib.loads((boot / "custom.toml").read_text())["wlan"]["password"] == (
        "0123456789abcdef" * 4
    )


def test_bad_boot_dirs(tmp_path, run, secret_env):
    r = run(*sd(tmp_path / "nope"))
    assert r.exit_code == 2 and r.stderr.startswith("error: boot-dir: ") and "does not" in r.stderr
    (tmp_path / "f").write_text("x")
    r = run(*sd(tmp_path / "f"))
    assert r.exit_code == 2 and "not a folder" in r.stderr
    assert not (tmp_path / "nope").exists()


def test_undetectable_release_asks_for_release(tmp_path, run, secret_env):
    boot = make_boot(tmp_path / "boot", None)
    before = snapshot(boot)
    r = run(*sd(boot))
    assert r.exit_code == 2
    assert r.stderr.startswith("error: release: ") and "--release" in r.stderr
    assert snapshot(boot) == before


def test_missing_required_options(tmp_path, run, secret_env):
    boot = make_boot(tmp_path / "boot", "bookworm")
    r = run("sdcard", "write", str(boot), "--wifi-country", "US")
    assert r.exit_code == 2 and r.stderr.startswith("error: wifi-ssid: required")
    r = run("sdcard", "write", str(boot), "--wifi-ssid", "Home")
    assert r.exit_code == 2 and r.stderr.startswith("error: wifi-country: required")


def test_ssh_key_checks(tmp_path, run, secret_env, keypair):
    boot = make_boot(tmp_path / "boot", "bookworm")
    before = snapshot(boot)
    pub, private = keypair
    r = run(*sd(boot, "--ssh-key", private))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("error: ssh-key: ") and "PRIVATE key" in r.stderr
    assert "must never go on the card" in r.stderr
    assert "BEGIN" not in r.output  # the key itself is never echoed
    junk = tmp_path / "junk.pub"
    junk.write_text("ssh-ed25519 not-base64!! me\n")
    r = run(*sd(boot, "--ssh-key", pub, "--ssh-key", junk))
    assert r.exit_code == 2 and "line 1 is not an OpenSSH public key" in r.stderr
    r = run(*sd(boot, "--ssh-key", tmp_path / "absent.pub"))
    assert r.exit_code == 2 and r.stderr.startswith("error: ssh-key: ")
    assert snapshot(boot) == before


def test_missing_secret_without_terminal(tmp_path, run, no_secret_env):
    boot = make_boot(tmp_path / "boot", "bookworm")
    before = snapshot(boot)
    r = run(*sd(boot), input="")
    assert r.exit_code == 2
    assert "error: password: not given; set BRIDGE_PASSWORD" in r.stderr
    assert snapshot(boot) == before
    r = run(*sd(boot, "--password-file", tmp_path / "absent"))
    assert r.exit_code == 2 and r.stderr.startswith("error: password-file: cannot read")


def test_piped_stdin_is_not_prompted_from(tmp_path):
    """Without a terminal the real CLI asks nothing (getpass would read the pipe and warn
    that the input may be echoed): one error line naming the other ways."""
    boot = make_boot(tmp_path / "boot", "bookworm")
    before = snapshot(boot)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    r = subprocess.run(
        [sys.executable, "-m", "bridge_cli", *sd(boot)],
        input="piped pw\npiped pw\npiped passphrase\npiped passphrase\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [
        "error: password: not given; set BRIDGE_PASSWORD, use --password-file FILE, or run "
        "in a terminal to be asked (never on the command line)"
    ]
    assert "piped" not in r.stdout + r.stderr
    assert snapshot(boot) == before


def test_cmdline_with_two_lines_is_refused(tmp_path, run, secret_env):
    boot = make_boot(tmp_path / "boot", "bookworm", cmdline="root=x\nquiet\n")
    before = snapshot(boot)
    r = run(*sd(boot, "--release", "bookworm"))
    assert r.exit_code == 2 and "2 lines" in r.stderr
    assert snapshot(boot) == before


def test_explicit_release_that_differs_from_the_card_is_warned_about(tmp_path, run, secret_env):
    boot = make_boot(tmp_path / "boot", "bookworm")
    r = run(*sd(boot, "--release", "trixie"))
    assert r.exit_code == 0
    assert "warning: release: the card looks like bookworm" in r.stderr
    assert (boot / "user-data").exists()


def test_fresh_trixie_card_with_the_image_templates_needs_no_force(tmp_path, run, secret_env):
    boot = make_boot(tmp_path / "boot", "trixie")
    r = run(*sd(boot, "--dry-run"))
    assert r.exit_code == 0, r.stderr
    for name in ("user-data", "network-config", "meta-data"):
        assert re.search(rf"^  {name} +template ", r.stdout, re.M), r.stdout
    r = run(*sd(boot))
    assert r.exit_code == 0, r.stderr
    assert "bridge-cli" in (boot / "user-data").read_text()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("user-data", "#cloud-config\nuser:\n  name: alice\n  passwd: $6$x$y\n"),
        ("network-config", "network:\n  version: 2\n  wifis:\n    wlan0:\n      dhcp4: true\n"),
        ("meta-data", "instance-id: rpi-imager-1764000000000\n"),
        ("user-data", "not yaml: [\n"),
    ],
)
def test_imager_or_unknown_cloud_init_files_still_need_force(
    tmp_path, run, secret_env, name, content
):
    boot = make_boot(tmp_path / "boot", "trixie")
    (boot / name).write_text(content)
    before = snapshot(boot)
    r = run(*sd(boot))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith(f"error: boot-dir: {name} already exists")
    assert snapshot(boot) == before


def test_legacy_bookworm_with_a_trixie_era_date_gets_bookworm_files(tmp_path, run, secret_env):
    boot = make_boot(tmp_path / "boot", "bookworm")
    (boot / "issue.txt").write_text("Raspberry Pi reference 2025-12-04\nGenerated using pi-gen\n")
    r = run(*sd(boot))
    assert r.exit_code == 0, r.stderr
    assert "release: bookworm" in r.stdout and "warning" not in r.stderr
    assert (boot / "custom.toml").exists() and not (boot / "user-data").exists()


@pytest.mark.parametrize("date", ["2021-10-30", "2022-01-28"])
@pytest.mark.parametrize("release", ["auto", "bullseye"])
def test_early_bullseye_images_are_refused_naming_the_date(
    tmp_path, run, secret_env, date, release
):
    boot = make_boot(tmp_path / "boot", "bullseye")
    (boot / "issue.txt").write_text(f"Raspberry Pi reference {date}\nGenerated using pi-gen\n")
    before = snapshot(boot)
    r = run(*sd(boot, "--release", release))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("error: release: ") and date in r.stderr
    assert "pi/raspberry" in r.stderr
    assert snapshot(boot) == before


@pytest.mark.parametrize(
    ("release", "name", "marker"),
    [
        ("bullseye", "wpa_supplicant.conf", "scan_ssid=1"),
        ("bookworm", "custom.toml", "hidden = true"),
        ("trixie", "network-config", "hidden: true"),
    ],
)
def test_wifi_hidden(tmp_path, run, secret_env, release, name, marker):
    boot = make_boot(tmp_path / "boot", release)
    r = run(*sd(boot, "--wifi-hidden"))
    assert r.exit_code == 0, r.stderr
    assert marker in (boot / name).read_text()


@pytest.mark.parametrize("ssid", ["new\nline", "tab\there", "1;2;3;"])
def test_trixie_ssid_it_cannot_carry_is_one_line_exit_2(tmp_path, run, secret_env, ssid):
    boot = make_boot(tmp_path / "boot", "trixie")
    before = snapshot(boot)
    r = run("sdcard", "write", str(boot), "--wifi-ssid", ssid, "--wifi-country", "US")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("error: wifi-ssid: ")
    assert snapshot(boot) == before
