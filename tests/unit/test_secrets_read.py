"""Reading secrets: file option first, then the environment, then the prompt; never argv."""

from __future__ import annotations

import pytest

from bridge_cli import secrets, settings
from bridge_cli.errors import BridgeInputError

SRC = secrets.SecretSource("password", "BRIDGE_PASSWORD", "password-file", "Password")


def no_prompt(text):  # pragma: no cover - must not be called
    raise AssertionError("prompted although the secret was given")


def test_file_wins_and_strips_one_newline(tmp_path):
    f = tmp_path / "pw"
    f.write_text("from file  \n\n")
    f.chmod(0o600)
    v = secrets.read_secret(SRC, f, {"BRIDGE_PASSWORD": "from env"}, no_prompt)
    assert v.value == "from file  \n" and v.warnings == ()
    f.write_text("crlf\r\n")
    assert secrets.read_secret(SRC, f, {}, no_prompt).value == "crlf"


def test_world_readable_file_warns(tmp_path):
    f = tmp_path / "pw"
    f.write_text("x\n")
    f.chmod(0o644)
    v = secrets.read_secret(SRC, f, {}, no_prompt)
    assert v.warnings and "chmod 600" in v.warnings[0] and "x" not in v.warnings[0].split(":")[-1]


def test_env_then_prompt():
    assert secrets.read_secret(SRC, None, {"BRIDGE_PASSWORD": "env"}, no_prompt).value == "env"
    asked = []
    v = secrets.read_secret(SRC, None, {"BRIDGE_PASSWORD": ""}, lambda t: asked.append(t) or "p")
    assert v.value == "p" and asked == ["Password"] and v.origin == "prompt"


def test_nothing_given_is_an_input_error():
    with pytest.raises(BridgeInputError) as e:
        secrets.read_secret(SRC, None, {}, None)
    assert e.value.field == "password" and "BRIDGE_PASSWORD" in e.value.message
    with pytest.raises(BridgeInputError):
        secrets.read_secret(SRC, None, {}, lambda t: "")


def test_unreadable_files(tmp_path):
    with pytest.raises(BridgeInputError, match="cannot read"):
        secrets.read_secret(SRC, tmp_path / "absent", {}, None)
    with pytest.raises(BridgeInputError, match="not a regular file"):
        secrets.read_secret(SRC, tmp_path, {}, None)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 5000)
    with pytest.raises(BridgeInputError, match="larger"):
        secrets.read_secret(SRC, big, {}, None)
    binary = tmp_path / "bin"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(BridgeInputError, match="UTF-8"):
        secrets.read_secret(SRC, binary, {}, None)


def test_crypt_matches_reuses_only_matching_hashes():
    h = secrets.crypt_sha512("pw one")
    assert secrets.crypt_matches("pw one", h)
    assert not secrets.crypt_matches("pw two", h)
    assert not secrets.crypt_matches("pw one", None)
    assert not secrets.crypt_matches("pw one", "$1$md5$notours")


@pytest.mark.parametrize("bad", ["", "two\nlines", "nul\x00", "x" * 1025])
def test_login_password_rules(bad):
    with pytest.raises(BridgeInputError) as e:
        settings.login_password(bad)
    assert e.value.field == "password" and (not bad or bad not in e.value.message)
