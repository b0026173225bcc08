"""PVS serial rules: normalisation, variant, commissioning hotspot, API login; and the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from bridge_cli.cli import cli
from bridge_cli.errors import BridgeInputError
from bridge_cli.pvs import serial

VECTOR = "ZT190585000549A6185"


def run(*args):
    return CliRunner().invoke(cli, ["pvs", "info", *args], catch_exceptions=False)


def test_field_notes_test_vector():
    info = serial.info(VECTOR)
    assert info.hotspot_ssid == "SunPower05185"
    assert info.hotspot_password == "19056185"
    assert info.api_user == "ssm_owner" and info.api_password == "A6185"
    assert info.variant.letter == "A" and info.variant.part_number == "529027"
    assert info.variant.ethernet_ports == ("LAN1", "WAN/LAN2")
    assert info.warnings == ()


@pytest.mark.parametrize(
    "raw",
    [
        " zt190585000549a6185 ",
        "ZT19-0585-0005-49A6185",
        "zt 1905 8500 0549 a6185",
        "ZT190585000549A6185\t",
    ],
)
def test_normalisation(raw):
    assert serial.normalise(raw) == VECTOR


def test_w_variant_needs_a_dongle():
    info = serial.info("ZT214385000549W1234")
    v = info.variant
    assert v.part_number == "60232" and v.ethernet_ports == ()
    text = v.bridge_connection
    assert "Plugable USB2-E1000" in text and "Cable Matters 202023" in text
    assert "powered off" in text and "WAN/LAN2" in text and "port 3" in text
    assert info.api_password == "W1234"


@pytest.mark.parametrize(
    ("raw", "warning"),
    [
        ("ZT190585000549X6185", "unknown hardware variant letter 'X'"),
        ("AB190585000549A6185", "not 'ZT'"),
        ("ZT190585000549A61850", "has 20 characters"),
    ],
)
def test_warnings_not_errors(raw, warning):
    info = serial.info(raw)
    assert any(warning in w for w in info.warnings)
    assert info.hotspot_ssid.startswith("SunPower")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("ZT1905850005", "too short"),
        ("", "too short"),
        ("ZT190585000549A618_", "contains '_'"),
        ("ZT190585000549Aß185", "contains 'ß'"),  # upper() would turn it into SS
        ("ZT190585000549A6185!", "contains '!'"),
        ("Z" * 40, "too long"),
    ],
)
def test_errors(raw, words):
    with pytest.raises(BridgeInputError) as e:
        serial.info(raw)
    assert e.value.field == "serial" and words in e.value.message


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=19, max_size=19))
def test_derivations_property(s):
    info = serial.info(s)
    assert info.hotspot_ssid == "SunPower" + s[4:6] + s[16:]
    assert info.hotspot_password == s[2:6] + s[15:]
    assert info.api_password == s[14:] and len(info.api_password) == 5
    assert info.variant.letter == s[14]


def test_cli_text():
    r = run(VECTOR)
    assert r.exit_code == 0
    assert "SunPower05185" in r.stdout and "19056185" in r.stdout
    assert "529027" in r.stdout and "ssm_owner" in r.stdout and "A6185" in r.stdout
    assert r.stderr == ""


def test_cli_json():
    r = run("zt19-0585-0005-49a6185", "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["serial"] == VECTOR
    assert data["hotspot"] == {"ssid": "SunPower05185", "password": "19056185"}
    assert data["api_login"] == {"user": "ssm_owner", "password": "A6185"}
    assert data["variant"]["part_number"] == "529027"
    assert data["variant"]["ethernet_ports"] == ["LAN1", "WAN/LAN2"]
    assert data["warnings"] == []


def test_cli_warning_goes_to_stderr_and_json_stays_clean():
    r = run("ZT190585000549Q6185", "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["variant"]["known"] is False
    assert r.stderr.startswith("warning: serial: unknown hardware variant")


@pytest.mark.parametrize("raw", ["ZT12", "ZT190585000549A61$5"])
def test_cli_error_one_line_exit_2(raw):
    r = run(raw)
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: serial: ")
    assert r.stdout == ""


def test_cli_help():
    r = run("--help")
    assert r.exit_code == 0 and "ZT190585000549A6185" in r.stdout and "--json" in r.stdout
