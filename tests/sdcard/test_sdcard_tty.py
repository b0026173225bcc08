"""The hidden, confirmed prompts on a real pseudo-terminal: secrets are never echoed."""

from __future__ import annotations

import os
import select
import sys
import tomllib

import pytest
from passlib.hash import sha512_crypt
from sdcard_helpers import make_boot

pty = pytest.importorskip("pty")


class Terminal:
    """A child process on a pseudo-terminal; wait_for() gives up after `limit` seconds."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # pragma: no cover - the child
            os.execve(argv[0], argv, env)
        self.seen = b""  # everything the terminal showed
        self.unread = b""  # what wait_for() has not matched yet

    def read_some(self, wait: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return b""
        try:
            return os.read(self.fd, 4096)
        except OSError:  # the child closed the terminal
            return b""

    def wait_for(self, text: str, limit: float = 60.0) -> None:
        """Wait for the next occurrence of `text`; fail after `limit` seconds (a hang)."""
        waited = 0.0
        while text.encode() not in self.unread and waited < limit:
            chunk = self.read_some(0.5)
            self.seen += chunk
            self.unread += chunk
            waited += 0.5
        assert text.encode() in self.unread, (text, self.seen)
        self.unread = self.unread.split(text.encode(), 1)[1]

    def answer(self, text: str) -> None:
        os.write(self.fd, text.encode() + b"\n")

    def finish(self) -> int:
        while chunk := self.read_some(5.0):
            self.seen += chunk
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


def test_prompts_hide_and_confirm_secrets(tmp_path):
    boot = make_boot(tmp_path / "boot", "bookworm")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    argv = [sys.executable, "-m", "bridge_cli", "sdcard", "write", str(boot)]
    argv += ["--wifi-ssid", "Home WiFi", "--wifi-country", "US"]
    term = Terminal(argv, env)
    term.wait_for("Login password for user pi:")
    term.answer("first try")
    term.wait_for("Repeat for confirmation:")
    term.answer("typo")
    term.wait_for("do not match")  # click asks again
    term.wait_for("Login password for user pi:")
    term.answer("tty password")
    term.wait_for("Repeat for confirmation:")
    term.answer("tty password")
    term.wait_for("WiFi passphrase for 'Home WiFi':")
    term.answer("tty passphrase")
    term.wait_for("Repeat for confirmation:")
    term.answer("tty passphrase")
    assert term.finish() == 0, term.seen
    for secret in (b"first try", b"typo", b"tty password", b"tty passphrase"):
        assert secret not in term.seen
    data = tomllib.loads((boot / "custom.toml").read_text())
    assert sha512_crypt.verify("tty password", data["user"]["password"])
