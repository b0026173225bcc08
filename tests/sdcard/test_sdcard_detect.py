"""Boot-partition checks and release detection from issue.txt / cmdline.txt."""

from __future__ import annotations

import pytest
from sdcard_helpers import BULLSEYE_CMDLINE, MODERN_CMDLINE, make_boot

from bridge_cli.errors import BridgeInputError
from bridge_cli.sdcard import detect


def with_date(tmp_path, date, cmdline=MODERN_CMDLINE):
    boot = make_boot(tmp_path / "b", None, cmdline)
    (boot / "issue.txt").write_text(f"Raspberry Pi reference {date}\nGenerated using pi-gen\n")
    return boot


@pytest.mark.parametrize(
    ("date", "release"),
    [
        ("2021-10-30", "bullseye"),
        ("2023-05-03", "bullseye"),
        ("2023-10-10", "bookworm"),
        ("2025-05-13", "bookworm"),
        ("2025-11-24", "trixie"),
        ("2026-04-13", "trixie"),
    ],
)
def test_release_from_image_date(tmp_path, date, release):
    d = detect.detect_release(with_date(tmp_path, date))
    assert d.release == release
    assert date in d.reason


def test_legacy_bullseye_recognised_by_init_resize(tmp_path):
    d = detect.detect_release(with_date(tmp_path, "2024-07-04", BULLSEYE_CMDLINE))
    assert d.release == "bullseye" and "legacy" in d.reason


def test_no_issue_txt_but_bullseye_cmdline(tmp_path):
    assert detect.detect_release(make_boot(tmp_path / "b", None, BULLSEYE_CMDLINE)).release == (
        "bullseye"
    )


@pytest.mark.parametrize(
    ("date", "words"),
    [
        (None, "pass --release"),
        ("2020-12-02", "older than Bullseye"),
        ("2025-10-01", "early Trixie"),
    ],
)
def test_undetectable_or_unsupported_asks_for_release(tmp_path, date, words):
    boot = make_boot(tmp_path / "b", None) if date is None else with_date(tmp_path, date)
    with pytest.raises(BridgeInputError) as e:
        detect.detect_release(boot)
    assert e.value.field == "release" and words in e.value.message


def test_garbage_issue_txt_is_undetectable(tmp_path):
    boot = make_boot(tmp_path / "b", None)
    (boot / "issue.txt").write_text("Raspberry Pi reference 2024-13-45\n")
    with pytest.raises(BridgeInputError):
        detect.detect_release(boot)


def test_boot_dir_checks(tmp_path):
    with pytest.raises(BridgeInputError, match="does not exist"):
        detect.check_boot_dir(tmp_path / "missing", False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(BridgeInputError, match="not a folder"):
        detect.check_boot_dir(tmp_path / "file", False)
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(BridgeInputError, match="not a Raspberry Pi boot partition"):
        detect.check_boot_dir(plain, False)
    forced = detect.check_boot_dir(plain, True)
    assert not forced.has_cmdline and forced.warnings
    assert list(plain.iterdir()) == []  # the write probe leaves nothing behind
