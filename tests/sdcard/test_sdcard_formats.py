"""Each release's files, parsed back with a real parser and compared with the input."""

from __future__ import annotations

import hashlib
import tomllib

import pytest
import wpa_conf_reader
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from passlib.hash import sha512_crypt
from sdcard_helpers import PASSWORD, WIFI_PASSPHRASE, make_boot

from bridge_cli.errors import BridgeInputError
from bridge_cli.sdcard import detect, trixie, writer
from bridge_cli.sdcard.config import CardSettings

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHYBu4SMzZdyAb5gmkbdjsuuy5PNnzfX8E1kdMXWGBv2 me@x"
SSID = 'Café "Net" #1 \\ $x = y'


def card(**kw) -> CardSettings:
    base = dict(
        hostname="pvs-bridge",
        user="pi",
        wifi_ssid=SSID,
        wifi_country="US",
        timezone="America/Los_Angeles",
        keymap="us",
        locale="en_US.UTF-8",
    )
    base.update(kw)
    return CardSettings(**base)


def psk(ssid: str, passphrase: str) -> str:
    if len(passphrase) == 64:
        return passphrase.lower()
    return hashlib.pbkdf2_hmac("sha1", passphrase.encode(), ssid.encode(), 4096, 32).hex()


def nm_bytes(ssid: str) -> str:
    return "".join(f"{b};" for b in ssid.encode())


def nm_bytes_decode(value: str) -> bytes:
    assert value.endswith(";")
    return bytes(int(n) for n in value[:-1].split(";"))


def control_chars(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def trixie_refuses(ssid: str) -> bool:
    try:
        trixie.check_ssid(ssid)
    except BridgeInputError:
        return True
    return False


def files_of(plan: writer.Plan) -> dict[str, str]:
    return {f.name: f.content.decode("utf-8") for f in plan.files}


@pytest.fixture(scope="module")
def boots(tmp_path_factory):
    root = tmp_path_factory.mktemp("boots")
    return {r: detect.check_boot_dir(make_boot(root / r, r), False) for r in detect_releases()}


def detect_releases():
    return ("bullseye", "bookworm", "trixie")


def make_plan(boots, release, c=None, keys=(KEY,), password=PASSWORD, passphrase=WIFI_PASSPHRASE):
    return writer.plan(boots[release], release, c or card(), keys, password, passphrase)


def test_bullseye_files(boots):
    p = make_plan(boots, "bullseye")
    files = files_of(p)
    assert set(files) == {
        "ssh",
        "userconf.txt",
        "wpa_supplicant.conf",
        "pvs-bridge-sdcard.json",
        "cmdline.txt",
    }
    assert files["ssh"] == ""
    user, hashed = files["userconf.txt"].rstrip("\n").split(":", 1)
    assert user == "pi" and sha512_crypt.verify(PASSWORD, hashed) and hashed.startswith("$6$")
    glob, nets = wpa_conf_reader.read(files["wpa_supplicant.conf"])
    assert glob["country"] == "US"
    assert glob["ctrl_interface"] == "DIR=/var/run/wpa_supplicant GROUP=netdev"
    assert glob["update_config"] == "1"
    assert len(nets) == 1
    assert wpa_conf_reader.parse_string(nets[0]["ssid"]) == SSID.encode()
    assert nets[0]["psk"] == psk(SSID, WIFI_PASSPHRASE)  # unquoted 64 hex = hashed PSK
    assert "cfg80211.ieee80211_regdom=US" in files["cmdline.txt"]
    modes = {f.name: f.mode for f in p.files}
    assert modes["userconf.txt"] == modes["wpa_supplicant.conf"] == 0o600
    notes = " ".join(p.notes)
    for what in ("hostname", "timezone", "keymap", "locale", "ssh-key"):
        assert what in notes
    assert p.ssh_target == "pi@raspberrypi.local"


def test_bookworm_custom_toml(boots):
    p = make_plan(boots, "bookworm")
    files = files_of(p)
    assert {"ssh", "userconf.txt", "custom.toml"} <= set(files)
    data = tomllib.loads(files["custom.toml"])
    assert data["config_version"] == 1
    assert data["system"] == {"hostname": "pvs-bridge"}
    assert data["user"]["name"] == "pi" and data["user"]["password_encrypted"] is True
    assert sha512_crypt.verify(PASSWORD, data["user"]["password"])
    assert data["ssh"] == {
        "enabled": True,
        "password_authentication": False,
        "authorized_keys": [KEY],
    }
    assert data["wlan"] == {
        "ssid": nm_bytes(SSID),
        "password": psk(SSID, WIFI_PASSPHRASE),
        "password_encrypted": True,
        "hidden": False,
        "country": "US",
    }
    assert data["locale"] == {"keymap": "us", "timezone": "America/Los_Angeles"}
    # userconf.txt and custom.toml carry the same hash (one hash per run)
    assert files["userconf.txt"].strip() == f"pi:{data['user']['password']}"
    assert any("locale" in n for n in p.notes)
    assert p.ssh_target == "pi@pvs-bridge.local"


def test_bookworm_without_keys_allows_password_login_and_omits_locale(boots):
    c = card(timezone=None, keymap=None, locale=None)
    data = tomllib.loads(files_of(make_plan(boots, "bookworm", c, keys=()))["custom.toml"])
    assert data["ssh"]["password_authentication"] is True
    assert data["ssh"]["authorized_keys"] == []
    assert "locale" not in data


def test_trixie_cloud_init(boots):
    p = make_plan(boots, "trixie")
    files = files_of(p)
    assert files["user-data"].startswith("#cloud-config\n")
    ud = yaml.safe_load(files["user-data"])
    assert ud["hostname"] == "pvs-bridge" and ud["manage_etc_hosts"] is True
    assert ud["timezone"] == "America/Los_Angeles"
    assert ud["keyboard"]["layout"] == "us"
    assert ud["locale"] == "en_US.UTF-8"
    u = ud["user"]
    assert u["name"] == "pi" and u["lock_passwd"] is False
    assert "passwd" not in u  # ignored by cloud-init for an existing user (pi)
    assert sha512_crypt.verify(PASSWORD, u["hashed_passwd"])
    assert u["shell"] == "/bin/bash"
    assert u["sudo"] == "ALL=(ALL) NOPASSWD:ALL"  # Trixie 2026-04+: no passwordless sudo
    assert u["ssh_authorized_keys"] == [KEY]
    assert ud["ssh_pwauth"] is False
    assert ["systemctl", "enable", "--now", "ssh"] in ud["runcmd"]

    net = yaml.safe_load(files["network-config"])["network"]
    assert net["version"] == 2
    eth0 = net["ethernets"]["eth0"]
    assert eth0["dhcp4"] is True
    # netplan accepts `networkmanager:` only on a device rendered by NetworkManager
    assert eth0["renderer"] == "NetworkManager"
    assert eth0["dhcp4-overrides"] == {"use-routes": False, "use-dns": False}
    assert eth0["networkmanager"]["passthrough"] == {
        "ipv4.never-default": "true",
        "ipv4.ignore-auto-dns": "true",
    }
    wlan0 = net["wifis"]["wlan0"]
    assert wlan0["regulatory-domain"] == "US"
    assert wlan0["access-points"] == {SSID: {"password": psk(SSID, WIFI_PASSPHRASE)}}

    meta = yaml.safe_load(files["meta-data"])
    iid = meta["instance-id"]
    assert iid.startswith("pvs-bridge-")
    tokens = files["cmdline.txt"].split()
    assert f"ds=nocloud;i={iid}" in tokens
    assert "cfg80211.ieee80211_regdom=US" in tokens
    assert files["cmdline.txt"].count("\n") == 1
    modes = {f.name: f.mode for f in p.files}
    assert modes["user-data"] == modes["network-config"] == 0o600
    assert p.notes == ()


def test_trixie_instance_id_follows_the_settings(boots):
    a = yaml.safe_load(files_of(make_plan(boots, "trixie"))["meta-data"])["instance-id"]
    b = yaml.safe_load(files_of(make_plan(boots, "trixie", card(hostname="other")))["meta-data"])
    assert a != b["instance-id"]


@pytest.mark.parametrize("release", ["bullseye", "bookworm", "trixie"])
def test_no_plaintext_secret_in_any_file(boots, release):
    p = make_plan(boots, release)
    for f in p.files:
        assert PASSWORD.encode() not in f.content
        assert WIFI_PASSPHRASE.encode() not in f.content


def test_raw_psk_is_written_as_given(boots):
    raw = "AB" * 32
    p = make_plan(boots, "bookworm", passphrase=raw)
    assert tomllib.loads(files_of(p)["custom.toml"])["wlan"]["password"] == raw.lower()


# Property-based: any SSID (1-32 UTF-8 bytes) and any valid passphrase, every format.
ssids = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("\"'\\#$ =:{}[],&*!|>%@`")),
        st.characters(exclude_categories=("Cs", "Cc")),
    ),
    min_size=1,
    max_size=32,
).filter(lambda s: 1 <= len(s.encode()) <= 32)
passphrases = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=8, max_size=63),
    st.text(alphabet="0123456789abcdefABCDEF", min_size=64, max_size=64),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ssid=ssids, passphrase=passphrases)
def test_every_format_round_trips_ssid_and_psk(boots, ssid, passphrase):
    expected = psk(ssid, passphrase)
    c = card(wifi_ssid=ssid)
    b = files_of(make_plan(boots, "bullseye", c, passphrase=passphrase))
    _, nets = wpa_conf_reader.read(b["wpa_supplicant.conf"])
    assert wpa_conf_reader.parse_string(nets[0]["ssid"]) == ssid.encode()
    assert nets[0]["psk"] == expected

    w = tomllib.loads(
        files_of(make_plan(boots, "bookworm", c, passphrase=passphrase))["custom.toml"]
    )
    assert nm_bytes_decode(w["wlan"]["ssid"]) == ssid.encode()
    assert w["wlan"]["password"] == expected

    if trixie_refuses(ssid):
        return  # Trixie refuses it: test_trixie_refuses_what_netplan_cannot_carry
    t = files_of(make_plan(boots, "trixie", c, passphrase=passphrase))
    aps = yaml.safe_load(t["network-config"])["network"]["wifis"]["wlan0"]["access-points"]
    assert aps == {ssid: {"password": expected}}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(password=st.text(min_size=1, max_size=40).filter(lambda s: not set(s) & set("\0\r\n")))
def test_any_password_hash_verifies_in_every_format(boots, password):
    w = tomllib.loads(files_of(make_plan(boots, "bookworm", password=password))["custom.toml"])
    assert sha512_crypt.verify(password, w["user"]["password"])
    t = yaml.safe_load(files_of(make_plan(boots, "trixie", password=password))["user-data"])
    assert sha512_crypt.verify(password, t["user"]["hashed_passwd"])


@pytest.mark.parametrize("release", ["bullseye", "bookworm", "trixie"])
def test_hidden_network(boots, release):
    files = files_of(make_plan(boots, release, card(wifi_hidden=True)))
    shown = files_of(make_plan(boots, release, card(wifi_hidden=False)))
    if release == "bullseye":
        _, nets = wpa_conf_reader.read(files["wpa_supplicant.conf"])
        assert nets[0]["scan_ssid"] == "1"
        assert "scan_ssid" not in wpa_conf_reader.read(shown["wpa_supplicant.conf"])[1][0]
    elif release == "bookworm":
        assert tomllib.loads(files["custom.toml"])["wlan"]["hidden"] is True
        assert tomllib.loads(shown["custom.toml"])["wlan"]["hidden"] is False
    else:
        net = yaml.safe_load(files["network-config"])["network"]
        assert net["wifis"]["wlan0"]["access-points"][SSID]["hidden"] is True
        net = yaml.safe_load(shown["network-config"])["network"]
        assert "hidden" not in net["wifis"]["wlan0"]["access-points"][SSID]


def test_bookworm_ssid_is_a_decimal_byte_list(boots):
    # imager_custom set_wlan copies the SSID raw after `ssid=`: text would lose leading
    # spaces, turn \n into an escape, "1;2;3;" into bytes, and "-h" into a flag.
    for ssid, expected in (("Home", "72;111;109;101;"), ("-h", "45;104;"), ("é", "195;169;")):
        data = tomllib.loads(
            files_of(make_plan(boots, "bookworm", card(wifi_ssid=ssid)))["custom.toml"]
        )
        assert data["wlan"]["ssid"] == expected


@pytest.mark.parametrize(
    ("ssid", "words"),
    [
        ("line\nbreak", "control character"),
        ("tab\there", "control character"),
        ("1;2;3;", "byte list"),
        (" 65; 66;", "byte list"),
    ],
)
def test_trixie_refuses_what_netplan_cannot_carry(boots, ssid, words):
    with pytest.raises(BridgeInputError) as e:
        make_plan(boots, "trixie", card(wifi_ssid=ssid))
    assert e.value.field == "wifi-ssid" and words in e.value.message
    for release in ("bullseye", "bookworm"):  # carried there
        make_plan(boots, release, card(wifi_ssid=ssid))


def test_trixie_existing_user_gets_a_login_shell_once(boots):
    ud = yaml.safe_load(files_of(make_plan(boots, "trixie"))["user-data"])
    (cmd,) = ud["bootcmd"]
    assert cmd[:3] == ["cloud-init-per", "instance", "pvs-bridge-login-shell"]
    assert cmd[-1] == "pi" and "usermod --shell /bin/bash" in cmd[5]
