"""Boot-partition checks and release detection from what the card will run at first boot."""

from __future__ import annotations

import pytest
from sdcard_helpers import BULLSEYE_CMDLINE, MODERN_CMDLINE, TRIXIE_CMDLINE, make_boot

from bridge_cli.errors import BridgeInputError
from bridge_cli.sdcard import detect


def with_date(tmp_path, date, cmdline=MODERN_CMDLINE):
    boot = make_boot(tmp_path / "b", None, cmdline)
    (boot / "issue.txt").write_text(f"Raspberry Pi reference {date}\nGenerated using pi-gen\n")
    return boot


@pytest.mark.parametrize("release", ["bullseye", "bookworm", "trixie"])
def test_release_from_the_fixture_cards(tmp_path, release):
    assert detect.detect_release(make_boot(tmp_path / "b", release)).release == release


@pytest.mark.parametrize(
    ("date", "cmdline", "release"),
    [
        # legacy Bookworm images are published with Trixie-era dates: the init= decides
        ("2025-11-24", MODERN_CMDLINE, "bookworm"),
        ("2026-04-13", MODERN_CMDLINE, "bookworm"),
        ("2023-05-03", MODERN_CMDLINE, "bookworm"),
        ("2024-07-04", BULLSEYE_CMDLINE, "bullseye"),  # legacy Bullseye
        ("2022-04-04", BULLSEYE_CMDLINE, "bullseye"),
    ],
)
def test_release_comes_from_the_first_boot_init_not_the_date(tmp_path, date, cmdline, release):
    d = detect.detect_release(with_date(tmp_path, date, cmdline))
    assert d.release == release and "cmdline.txt runs" in d.reason


def test_trixie_is_recognised_by_its_cloud_init_files(tmp_path):
    boot = make_boot(tmp_path / "b", None, TRIXIE_CMDLINE)
    (boot / "meta-data").write_text("dsmode: local\n")
    d = detect.detect_release(boot)
    assert d.release == "trixie" and "meta-data" in d.reason
    (boot / "meta-data").unlink()
    (boot / "cmdline.txt").write_text(TRIXIE_CMDLINE.strip() + " ds=nocloud;i=x\n")
    assert detect.detect_release(boot).release == "trixie"


@pytest.mark.parametrize(
    ("date", "cmdline", "words"),
    [
        (None, TRIXIE_CMDLINE, "pass --release"),
        ("2025-10-01", TRIXIE_CMDLINE, "early Trixie"),
        ("2020-12-02", BULLSEYE_CMDLINE, "older than Bullseye"),
        ("2021-10-30", BULLSEYE_CMDLINE, "2021-10-30 is an early Bullseye image"),
        ("2022-01-28", BULLSEYE_CMDLINE, "2022-01-28 is an early Bullseye image"),
    ],
)
def test_undetectable_or_unsupported_asks_for_release(tmp_path, date, cmdline, words):
    boot = make_boot(tmp_path / "b", None, cmdline)
    if date:
        boot = with_date(tmp_path, date, cmdline)
    with pytest.raises(BridgeInputError) as e:
        detect.detect_release(boot)
    assert e.value.field == "release" and words in e.value.message


def test_garbage_issue_txt_is_ignored(tmp_path):
    boot = make_boot(tmp_path / "b", None)
    (boot / "issue.txt").write_text("Raspberry Pi reference 2024-13-45\n")
    with pytest.raises(BridgeInputError):
        detect.detect_release(boot)
    assert detect.image_date(boot) is None


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
