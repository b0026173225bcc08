"""`bridge-cli doctor` as a command: exit codes, JSON document, bad input (one line, exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bridge_cli.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, ["doctor", *args], catch_exceptions=False)


def one_line_error(result, field):
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {field}: "), lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("host", ["127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1:http"])
def test_bad_port(host):
    one_line_error(invoke(host, "--no-ssh"), "port")


@pytest.mark.parametrize("host", ["bad host", "bad..dots", "a_b.example", "x-.example"])
def test_bad_host_syntax(host):
    one_line_error(invoke(host, "--no-ssh"), "host")


def test_bad_https_port():
    one_line_error(invoke("127.0.0.1", "--https-port", "70000", "--no-ssh"), "https-port")


@pytest.mark.parametrize("serial", ["ZT!!", "ZT12", "Z" * 40])
def test_malformed_serial(serial):
    one_line_error(invoke("127.0.0.1", "--serial", serial, "--no-ssh"), "serial")


def test_ssh_key_missing(tmp_path):
    one_line_error(invoke("127.0.0.1", "--ssh-key", str(tmp_path / "nope")), "ssh-key")


def test_ssh_key_without_private_key(tmp_path):
    pub = tmp_path / "id_ed25519.pub"
    pub.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2hYkq9 user@host\n")
    r = invoke("127.0.0.1", "--ssh-key", str(pub))
    one_line_error(r, "ssh-key")
    assert "no private key" in r.output


def test_ssh_key_is_a_directory(tmp_path):
    one_line_error(invoke("127.0.0.1", "--ssh-key", str(tmp_path)), "ssh-key")


def test_ssh_key_and_no_ssh_exclude(tmp_path):
    one_line_error(invoke("127.0.0.1", "--ssh-key", "x", "--no-ssh"), "ssh-key")


def test_bad_timeout():
    one_line_error(invoke("127.0.0.1", "--timeout", "0", "--no-ssh"), "timeout")


def test_unresolvable_host_is_bad_input(empty_netns):
    proc = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            empty_netns,
            sys.executable,
            "-m",
            "bridge_cli",
            "doctor",
            "no-such-bridge.invalid",
            "--no-ssh",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "error: host: 'no-such-bridge.invalid' does not resolve; use the bridge's IP address "
        "or check the name"
    ]


def test_json_healthy_exit_0(bed):
    r = invoke(bed.address, "--no-ssh", "--json")
    doc = json.loads(r.output)
    assert r.exit_code == 0, [c for c in doc["checks"] if c["status"] == "fail"]
    assert doc["ok"] is True and doc["exit_code"] == 0
    assert {"id", "status", "summary", "detail", "hint", "seconds"} <= set(doc["checks"][0])
    assert doc["target"]["address"] == bed.address


def test_failure_exit_1_and_human_output_without_colour(bed):
    bed.haproxy.stop()
    r = invoke(bed.address, "--no-ssh", "--timeout", "1")
    assert r.exit_code == 1
    assert "\x1b[" not in r.output  # not a TTY: no colour
    line = next(ln for ln in r.output.splitlines() if ln.startswith("FAIL  bridge.http"))
    assert "haproxy is down" in line
    assert "fix: " in r.output
    assert "PROBLEMS FOUND" in r.output


def test_colour_when_forced(bed):
    r = invoke(bed.address, "--no-ssh", "--color")
    assert "\x1b[" in r.output


def test_ssh_key_private_key_accepted_then_connect_finding(tmp_path, bed):
    """A real private key passes validation; with nothing on port 22 ssh.connect fails."""
    import paramiko

    key = tmp_path / "id_rsa"
    paramiko.RSAKey.generate(2048).write_private_key_file(str(key))
    r = invoke(bed.address, "--ssh-key", str(key), "--json", "--timeout", "1")
    doc = json.loads(r.output)
    ssh = next(c for c in doc["checks"] if c["id"] == "ssh.connect")
    assert ssh["status"] == "fail" and "SSH refused" in ssh["summary"]
    lease = next(c for c in doc["checks"] if c["id"] == "ssh.eth0_lease")
    assert lease["status"] == "skip"
