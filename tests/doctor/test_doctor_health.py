"""Judges of wear, heat and change over time, on canned outputs (pure logic), plus the
health commands run for real by this machine's sh: absent sources are "not reported"."""

from __future__ import annotations

import subprocess

import pytest

from bridge_cli.doctor import health, over_time, ssh_parsers


def test_the_health_commands_run_in_a_real_shell_and_never_fail():
    script = ssh_parsers.build_script(health.COMMANDS)
    out = subprocess.run(["sh", "-s"], input=script, capture_output=True, text=True, timeout=30)
    parts = ssh_parsers.split_script_output(out.stdout)
    assert set(parts) == set(health.COMMANDS)
    assert all(rc == 0 for rc, _ in parts.values()), parts
    assert parts["sdcard"][1].startswith("root ")
    judges = {"temperature": health.judge_temperature, "uptime": health.judge_uptime,
              "sdcard": health.judge_sdcard}  # fmt: skip
    for name, judge in judges.items():
        assert judge(parts[name][1]).status in ("pass", "info", "warn")


@pytest.mark.parametrize(
    ("text", "status", "words"),
    [
        ("absent\n", "info", "not reported"),
        ("48312\n", "pass", "48 degC"),
        ("73000\n", "info", "warm"),
        ("83500\n", "warn", "hot: 84 degC"),
    ],
)
def test_temperature(text, status, words):
    f = health.judge_temperature(text)
    assert f.status == status and words in f.summary


@pytest.mark.parametrize(
    ("text", "status", "words"),
    [
        ("root rw,relatime\n", "info", "not reported"),
        ("root ro,relatime\next4 /sys/fs/ext4/mmcblk0p2/errors_count 3\n", "fail", "read-only"),
        ("root rw\next4 /sys/fs/ext4/mmcblk0p2/errors_count 3\n", "warn", "mmcblk0p2 3 error"),
        ("root rw\next4 /sys/fs/ext4/mmcblk0p2/errors_count 0\n", "info", "1 ext4 filesystem"),
        ("root rw\nmmc /sys/block/mmcblk0/device 0x02,0x03 0x01\n", "pass", "10-20%"),
        ("root rw\nmmc /sys/block/mmcblk0/device 0x0a,0x0a 0x02\n", "warn", "pre-EOL warning"),
        ("root rw\nmmc /sys/block/mmcblk0/device  \n", "info", "not reported"),
    ],
)
def test_sdcard(text, status, words):
    f = health.judge_sdcard(text)
    assert f.status == status and words in f.summary + f.detail, f


@pytest.mark.parametrize(
    ("value", "status", "words"),
    [(None, "info", "not reported"), ("2", "pass", "10-20%"), ("0x0a", "warn", "90-100%"),
     ("11", "warn", "more than its rated life"), ("garbage", "info", "not a JEDEC")],
)  # fmt: skip
def test_pvs_flash_wear(value, status, words):
    f = health.judge_flashwear(value)
    assert f.status == status and words in f.summary


def test_uptime():
    assert "booted 5 min ago" in health.judge_uptime("300.5 1000.0\n").summary
    assert health.judge_uptime("90000.0 1.0\n").status == "pass"
    assert health.judge_uptime("").status == "info"


def test_unknown_device_types_are_listed_never_dropped():
    kinds = ["PVS", "Inverter", "Inverter", "EV Charger", None, "EV Charger"]
    devices = [{"DEVICE_TYPE": k} if k else {"SERIAL": "X"} for k in kinds]
    f = over_time.judge_devices(devices)
    assert f.status == "info"
    assert f.summary.startswith("6 devices; of a type the doctor does not know: ")
    assert "1 x '(no DEVICE_TYPE)'" in f.summary and "2 x 'EV Charger'" in f.summary
    assert f.detail == "1 (no DEVICE_TYPE), 2 EV Charger, 2 Inverter, 1 PVS"


def test_unknown_var_device_types_are_listed():
    values = {"/sys/devices/inverter/0/sn": "a", "/sys/devices/inverter/1/sn": "b",
              "/sys/devices/evse/0/sn": "c", "/sys/info/uptime": "5"}  # fmt: skip
    f = over_time.judge_var_devices(values)
    assert f.status == "info" and "1 x 'evse'" in f.summary and "2 inverter" in f.detail


def test_a_lasting_lower_inverter_count_becomes_the_new_normal():
    day = 86400.0
    record = {"count": 12, "serials": [str(i) for i in range(12)], "time": 0.0}
    now_serials = [str(i) for i in range(11)]
    f, kept = over_time.judge_inverter_count(now_serials, record, uptime=5 * day, now=day)
    assert f.status == "warn" and kept["count"] == 12 and kept["lower_since"] == day
    f, new = over_time.judge_inverter_count(now_serials, kept, uptime=9 * day, now=5 * day)
    assert f.status == "info" and "new normal" in f.summary and new["count"] == 11
