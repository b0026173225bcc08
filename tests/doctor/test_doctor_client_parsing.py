"""bridge_cli.pvs.client: response classification and JSON/shape parsing on canned data."""

from __future__ import annotations

import gzip
import json

import pytest

from bridge_cli.pvs.client import (
    HttpResult,
    PvsHttpError,
    classify_response,
    group_device_vars,
    mask_serial,
    parse_build,
    parse_device_list,
    parse_json,
    parse_supervisor_info,
    pvs_password,
)

HAPROXY_503 = (
    b"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this"
    b" request.\n</body></html>\n"
)


def result(status: int, body: bytes, headers: dict | None = None) -> HttpResult:
    return HttpResult(status, "X", {k.lower(): v for k, v in (headers or {}).items()}, body, 0.1)


def test_haproxy_503_page_is_named():
    with pytest.raises(PvsHttpError) as exc:
        classify_response(result(503, HAPROXY_503), "DeviceList")
    assert exc.value.kind == "haproxy_503"
    assert "haproxy's own 503 page" in str(exc.value)


def test_a_503_from_elsewhere_is_plain_http_status():
    with pytest.raises(PvsHttpError) as exc:
        classify_response(result(503, b"maintenance"), "DeviceList")
    assert exc.value.kind == "http_status" and exc.value.status == 503


def test_guard_refusal_is_recognised_by_its_header():
    r = result(403, b"403 Forbidden: pvs-bridge is read-only", {"X-PVS-Bridge-Guard": "read-only"})
    with pytest.raises(PvsHttpError) as exc:
        classify_response(r, "Stop")
    assert exc.value.kind == "guard"


@pytest.mark.parametrize("status", [200, 204, 299])
def test_2xx_passes_and_the_edges_around_it_do_not(status):
    assert classify_response(result(status, b"{}"), "x") is None
    for outside in (199, 300):
        with pytest.raises(PvsHttpError) as exc:
            classify_response(result(outside, b"{}"), "x")
        assert exc.value.kind == "http_status" and exc.value.status == outside


def test_truncated_json_is_told_from_non_json():
    full = json.dumps({"devices": [{"SERIAL": "x" * 50}], "result": "succeed"}).encode()
    with pytest.raises(PvsHttpError) as exc:
        parse_json(full[: len(full) // 2], "DeviceList")
    assert exc.value.kind == "truncated_json"
    assert f"{len(full) // 2} bytes" in str(exc.value)
    with pytest.raises(PvsHttpError) as exc:
        parse_json(b"<html>hello</html>", "DeviceList")
    assert exc.value.kind == "not_json"
    assert "<html>hello</html>" in exc.value.excerpt
    with pytest.raises(PvsHttpError) as exc:
        parse_json(b"  ", "DeviceList")
    assert exc.value.kind == "not_json"


def test_build_parsing():
    assert parse_build("2021.9, Build 41001") == 41001
    assert parse_build(61845) == 61845
    assert parse_build("61840") == 61840
    assert parse_build("no build") is None


def test_supervisor_info_nested_and_flat():
    sup = parse_supervisor_info({"supervisor": {"SWVER": "2025.06, Build 61845", "BUILD": 61845}})
    assert sup.build == 61845 and sup.new_firmware
    flat = parse_supervisor_info({"SWVER": "2021.9, Build 41001", "MODEL": "PVS6"})
    assert flat.build == 41001 and not flat.new_firmware and flat.model == "PVS6"


@pytest.mark.parametrize("doc", [[], "x", {"supervisor": {"foo": 1}}])
def test_supervisor_info_wrong_shape(doc):
    with pytest.raises(PvsHttpError) as exc:
        parse_supervisor_info(doc)
    assert exc.value.kind == "wrong_shape"


def test_device_list_split():
    doc = {
        "result": "succeed",
        "devices": [
            {"DEVICE_TYPE": "PVS", "SERIAL": "ZT1"},
            {"DEVICE_TYPE": "Power Meter", "TYPE": "PVS5-METER-P"},
            {"DEVICE_TYPE": "Power Meter", "TYPE": "PVS5-METER-C"},
            {"DEVICE_TYPE": "Inverter"},
            {"DEVICE_TYPE": "Inverter"},
            {"DEVICE_TYPE": "ESS BMS"},
        ],
    }
    d = parse_device_list(doc)
    assert d.supervisor["SERIAL"] == "ZT1"
    assert (len(d.meters), len(d.inverters), len(d.others)) == (2, 2, 1)


@pytest.mark.parametrize(
    "doc",
    [{"result": "failed", "devices": []}, {"devices": "none"}, {"result": "succeed"}, [1, 2]],
)
def test_device_list_wrong_shape(doc):
    with pytest.raises(PvsHttpError) as exc:
        parse_device_list(doc)
    assert exc.value.kind == "wrong_shape"


def test_password_and_mask():
    assert pvs_password("ZT190585000549a6185") == "A6185"
    assert mask_serial("ZT190585000549A6185") == "ZT190585000549*****"
    assert "A6185" not in mask_serial("ZT190585000549A6185")


def test_group_device_vars():
    values = {
        "/sys/devices/inverter/1/sn": "B",
        "/sys/devices/inverter/0/sn": "A",
        "/sys/devices/inverter/0/p3phsumKw": "0.2",
        "/sys/devices/meter/0/sn": "M",
        "/sys/info/uptime": "5",
    }
    assert group_device_vars(values, "inverter") == [{"sn": "A", "p3phsumKw": "0.2"}, {"sn": "B"}]
    assert group_device_vars(values, "meter") == [{"sn": "M"}]


def test_gzip_body_is_decoded():
    from bridge_cli.pvs.client import _decode_body

    body, gz = _decode_body(gzip.compress(b'{"a": 1}'), "gzip")
    assert (body, gz) == (b'{"a": 1}', True)
    with pytest.raises(PvsHttpError) as exc:
        _decode_body(gzip.compress(b'{"a": 1}')[:10], "gzip")
    assert exc.value.kind == "truncated"


@pytest.mark.parametrize(
    "text,unfinished",
    [
        ('{"a": [1, 2', True),
        ('{"a": "x\\"y', True),  # inside a string with an escaped quote
        ('{"a": 1}}', False),
        ("<html>", False),
        ('{"a": 1]', False),
        ("[", True),
    ],
)
def test_is_unfinished_json(text, unfinished):
    from bridge_cli.pvs.client import is_unfinished_json

    assert is_unfinished_json(text) is unfinished
