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


@pytest.mark.parametrize("opt", ["--timeout", "--devicelist-timeout"])
def test_timeout_not_a_number(opt):
    r = invoke("127.0.0.1", opt, "abc", "--no-ssh")
    one_line_error(r, opt[2:])
    assert "not a number" in r.output


def test_ssh_port_without_ssh_handshake_names_it_and_prints_no_traceback(tmp_path):
    """A port that accepts TCP but never speaks SSH: paramiko's transport thread logs a
    traceback on stderr unless silenced, and connect() reports "No existing session"."""
    import socket

    from harness.testbed import free_loopback_address

    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    address = free_loopback_address(seed=11)
    mute = socket.socket()
    mute.bind((address, 0))
    mute.listen(8)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bridge_cli", "doctor", address, "--json", "--timeout", "1"]
            + ["--ssh-port", str(mute.getsockname()[1]), "--ssh-key", str(key)]
            + ["--ssh-known-hosts", str(tmp_path / "known_hosts")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        mute.close()
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Exception" not in proc.stderr, proc.stderr
    ssh = next(c for c in json.loads(proc.stdout)["checks"] if c["id"] == "ssh.connect")
    assert ssh["status"] == "fail" and "no SSH handshake within 1 s" in ssh["summary"]


@pytest.mark.parametrize("no_color", [False, True])
def test_colour_by_default_only_on_a_terminal(no_color):
    """stdout on a real pseudo-terminal: colour, unless NO_COLOR is set."""
    import os
    import pty

    from harness.testbed import free_loopback_address

    address = free_loopback_address(seed=13)  # nothing listens: bridge.http fails fast
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color:
        env["NO_COLOR"] = "1"
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bridge_cli", "doctor", address, "--no-ssh", "--timeout", "1"],
            stdout=slave,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
        )
        os.close(slave)
        slave = None
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            out += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert proc.returncode == 1, proc.stderr
    assert b"bridge.http" in out
    assert (b"\x1b[" in out) is not no_color


@pytest.mark.parametrize("iface", ["", "eth 0", "a" * 16, "../x"])
def test_bad_pvs_interface(iface):
    one_line_error(invoke("127.0.0.1", "--pvs-interface", iface, "--no-ssh"), "pvs-interface")


def test_inventory_names_the_bridge_and_its_ports(tmp_path):
    """-i INVENTORY --host NAME: the address and stats port come from the inventory."""
    from harness.testbed import testbed

    with testbed() as bed:
        inv = tmp_path / "hosts.yml"
        inv.write_text(
            "bridges:\n  hosts:\n    garage:\n"
            f"      ansible_host: {bed.address}\n      bridge_proxy_stats_port: 8080\n"
        )
        out = CliRunner().invoke(
            cli, ["doctor", "-i", str(inv), "--host", "garage", "--no-ssh", "--json"]
        )
    data = json.loads(out.output)
    assert data["target"]["address"] == bed.address, out.output
    stats = next(c for c in data["checks"] if c["id"] == "bridge.stats")
    assert stats["status"] == "pass"


def test_inventory_without_host_is_one_line(tmp_path):
    inv = tmp_path / "hosts.yml"
    inv.write_text("bridges:\n  hosts:\n    garage:\n")
    one_line_error(CliRunner().invoke(cli, ["doctor", "-i", str(inv)]), "inventory")
    one_line_error(
        CliRunner().invoke(cli, ["doctor", "-i", str(inv), "--host", "attic"]), "host"
    )
