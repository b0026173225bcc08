import pytest

from bridge_cli import secrets, settings
from bridge_cli.errors import BridgeInputError


@pytest.mark.parametrize("bad", ["", "-a", "a-", "a_b", "x" * 64, "a.b"])
def test_hostname_rejects(bad):
    with pytest.raises(BridgeInputError) as e:
        settings.hostname(bad)
    assert e.value.field == "hostname"


def test_hostname_normalises_case():
    assert settings.hostname("PVS-Bridge") == "pvs-bridge"


@pytest.mark.parametrize("bad", ["root", "Pi", "1pi", "a" * 33, "pi_user", ""])
def test_user_rejects(bad):
    with pytest.raises(BridgeInputError):
        settings.user(bad)


def test_country():
    assert settings.country("us") == "US"
    with pytest.raises(BridgeInputError):
        settings.country("XX")
    with pytest.raises(BridgeInputError):
        settings.country("USA")


def test_timezone():
    assert settings.timezone("America/Los_Angeles") == "America/Los_Angeles"
    with pytest.raises(BridgeInputError):
        settings.timezone("Mars/Olympus")


def test_ssid_counts_utf8_bytes():
    assert settings.ssid("é" * 16) == "é" * 16
    with pytest.raises(BridgeInputError):
        settings.ssid("é" * 17)
    with pytest.raises(BridgeInputError):
        settings.ssid("")


@pytest.mark.parametrize("bad", ["short", "x" * 64, "x" * 70, "tab\there!", "naïve-pass"])
def test_passphrase_rejects_without_echoing_it(bad):
    with pytest.raises(BridgeInputError) as e:
        settings.wifi_passphrase(bad)
    assert bad not in str(e.value)


def test_psk_matches_wpa_passphrase_vector():
    # IEEE 802.11i test vector: passphrase "password", SSID "IEEE"
    assert secrets.wifi_psk("IEEE", "password") == (
        "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"
    )
    raw = "ab" * 32
    assert secrets.wifi_psk("any", raw) == raw


def test_crypt_sha512_verifies():
    from passlib.hash import sha512_crypt

    h = secrets.crypt_sha512("s3cret pw")
    assert h.startswith("$6$") and sha512_crypt.verify("s3cret pw", h)


def test_port_and_address():
    assert settings.port("80") == 80
    for bad in ("0", "65536", "http"):
        with pytest.raises(BridgeInputError):
            settings.port(bad)
    assert settings.ipv4_address(" 172.27.153.1 ") == "172.27.153.1"
    with pytest.raises(BridgeInputError):
        settings.ipv4_address("172.27.153.256")
