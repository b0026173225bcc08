"""The escaping filters: every value must parse back exactly in its file format."""

from __future__ import annotations

import tomllib

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from wpa_conf_reader import parse_string

from bridge_cli.sdcard.render import toml_list, toml_str, wpa_ssid, yaml_str

TRICKY = [
    'quote " inside',
    "back\\slash",
    "hash # and $dollar",
    " leading and trailing ",
    "a=b",
    "Café Ünïcødé 🌞",
    "'single'",
    "tab\tnew\nline",
    "yes",
    "null",
    "- dash",
    "{braces}: [x]",
    "\x00\x7f\x85\u2028",
]

# Characters that break naive quoting, mixed with any Unicode (no lone surrogates).
tricky_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("\"'\\#$ =:{}[],&*!|>%@`\t\n")),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=40,
)


@pytest.mark.parametrize("value", TRICKY)
def test_toml_str_round_trips(value):
    assert tomllib.loads(f"v = {toml_str(value)}\n")["v"] == value


@pytest.mark.parametrize("value", TRICKY)
def test_yaml_str_round_trips_and_stays_on_one_line(value):
    text = yaml_str(value)
    assert "\n" not in text
    assert yaml.safe_load(f"v: {text}\n")["v"] == value
    assert yaml.safe_load(f"{text}: 1\n") == {value: 1}  # as a mapping key (netplan SSIDs)


@given(tricky_text)
def test_toml_str_property(value):
    assert tomllib.loads(f"v = {toml_str(value)}\n")["v"] == value


@given(st.lists(tricky_text, max_size=4))
def test_toml_list_property(values):
    assert tomllib.loads(f"v = {toml_list(values)}\n")["v"] == values


@given(tricky_text)
def test_yaml_str_property(value):
    text = yaml_str(value)
    assert "\n" not in text
    assert yaml.safe_load(f"k:\n  {text}:\n    password: x\n") == {"k": {value: {"password": "x"}}}


def test_wpa_ssid_quotes_plain_ascii_and_hexes_the_rest():
    assert wpa_ssid("Home WiFi #2 $x=y\\z") == '"Home WiFi #2 $x=y\\z"'
    assert wpa_ssid('say "hi"') == "7361792022686922"
    assert wpa_ssid("Café") == "436166c3a9"


@given(tricky_text.filter(lambda s: 1 <= len(s.encode()) <= 32))
def test_wpa_ssid_property(value):
    assert parse_string(wpa_ssid(value)) == value.encode("utf-8")


def test_filters_refuse_non_strings():
    with pytest.raises(TypeError):
        toml_str(1)
    with pytest.raises(TypeError):
        yaml_str(None)
