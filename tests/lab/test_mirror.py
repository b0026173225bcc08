"""The lab's debootstrap mirror comes from the host's apt sources (pure parsing)."""

from __future__ import annotations

import pytest

from bridge_cli.errors import BridgeFailure
from bridge_cli.lab.mirror import debian_mirror


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv("BRIDGE_LAB_MIRROR", raising=False)


def apt(tmp_path, sources_list="", **sources_d):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(sources_list)
    for name, text in sources_d.items():
        (tmp_path / "sources.list.d" / name.replace("_", ".")).write_text(text)
    return tmp_path


def test_deb822_sources_skip_security_and_disabled(tmp_path):
    d = apt(
        tmp_path,
        a_sources="Types: deb\nURIs: http://mirror.test/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Types: deb\nURIs: http://off.test/debian\nSuites: bookworm\nEnabled: no\n",
        b_sources="# local\nTypes: deb deb-src\nURIs: http://mirror.test/debian/\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n",
    )
    assert debian_mirror(d) == "http://mirror.test/debian"


def test_one_line_sources_with_options(tmp_path):
    d = apt(tmp_path, "deb [arch=amd64 signed-by=/k.gpg] http://m.test/debian trixie main\n")
    assert debian_mirror(d) == "http://m.test/debian"


def test_no_debian_archive_is_a_clear_error(tmp_path):
    d = apt(tmp_path, "deb http://archive.test/ubuntu jammy main\n")
    with pytest.raises(BridgeFailure, match="BRIDGE_LAB_MIRROR"):
        debian_mirror(d)


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_LAB_MIRROR", "http://override.test/debian")
    assert debian_mirror(apt(tmp_path)) == "http://override.test/debian"
