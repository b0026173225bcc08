"""Input validation of the doctor's target and options (pure)."""

from __future__ import annotations

import pytest

from bridge_cli.doctor.target import resolve, serial, split_host_port, timeout
from bridge_cli.errors import BridgeInputError


@pytest.mark.parametrize(
    "value,expected",
    [
        ("pvs-bridge.local", ("pvs-bridge.local", 80)),
        ("192.168.1.50:8081", ("192.168.1.50", 8081)),
        ("[fe80::1]:81", ("fe80::1", 81)),
        ("fe80::1", ("fe80::1", 80)),
        ("bridge", ("bridge", 80)),
    ],
)
def test_split_host_port(value, expected):
    assert split_host_port(value) == expected


@pytest.mark.parametrize("value,field", [("", "host"), ("[::1", "host"), ("h:", "port")])
def test_split_host_port_bad(value, field):
    with pytest.raises(BridgeInputError) as exc:
        split_host_port(value)
    assert exc.value.field == field


def test_addresses_need_no_resolution():
    assert resolve("127.0.0.1", 1.0) == ("127.0.0.1", 0.0)


def test_serial_normalised_and_checked():
    assert serial(" zt190585000549a6185 ") == "ZT190585000549A6185"
    assert serial(None) is None
    with pytest.raises(BridgeInputError):
        serial("ZT!")


def test_timeout_range():
    assert timeout(2, "timeout") == 2.0
    with pytest.raises(BridgeInputError):
        timeout(0.01, "timeout")
