"""Lab logic that needs no root: names, preflight messages, the relay, inventory shape."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest
import yaml
from click.testing import CliRunner

from bridge_cli.cli import cli
from bridge_cli.errors import BridgeInputError
from bridge_cli.lab import capabilities, inventory, procs
from bridge_cli.lab import topology as topo


@pytest.mark.parametrize("bad", ["", "Bad", "a_b", "-x", "x-", "a" * 25, "a b"])
def test_bad_lab_names_are_refused(bad):
    with pytest.raises(BridgeInputError) as exc:
        topo.lab_name(bad)
    assert exc.value.field == "name"


def test_cli_bad_name_is_one_line_exit_2():
    result = CliRunner().invoke(cli, ["lab", "up", "--name", "Bad_Name"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: name: ")


def test_cli_bad_release_is_refused():
    result = CliRunner().invoke(cli, ["lab", "up", "--release", "buster"])
    assert result.exit_code == 2
    assert "buster" in result.output


def test_down_name_and_all_conflict():
    result = CliRunner().invoke(cli, ["lab", "down", "--name", "x", "--all"])
    assert result.exit_code == 2
    assert "error: name:" in result.output


def test_preflight_names_what_is_missing(monkeypatch):
    monkeypatch.setattr(capabilities.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(capabilities.shutil, "which", lambda tool: None)
    monkeypatch.setattr(capabilities.os.path, "exists", lambda p: False)
    missing = capabilities.missing_capabilities()
    assert "needs root (network namespaces and systemd-nspawn)" in missing
    assert any("systemd-nspawn" in m and "systemd-container" in m for m in missing)
    assert any("debootstrap" in m for m in missing)


def test_preflight_refuses_other_systems(monkeypatch):
    monkeypatch.setattr(capabilities.platform, "system", lambda: "Darwin")
    assert capabilities.missing_capabilities() == ["needs Linux (this is Darwin)"]


def test_names_are_prefixed_by_the_lab():
    names = topo.Names("ci")
    p = topo.PREFIX  # pvsb, unless BRIDGE_LAB_PREFIX says otherwise
    assert names.namespaces == (f"{p}-ci-pvs", f"{p}-ci-home", f"{p}-ci-pi")


def test_relay_carries_bytes_both_ways_over_loopback():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def echo_upper():
        conn, _ = server.accept()
        with conn:
            data = b""
            while chunk := conn.recv(1024):
                data += chunk
            conn.sendall(data.upper())

    thread = threading.Thread(target=echo_upper, daemon=True)
    thread.start()
    result = subprocess.run(
        [sys.executable, "-m", "bridge_cli.lab.relay", "127.0.0.1", str(port)],
        input=b"hello lab", capture_output=True, timeout=20,
    )  # fmt: skip
    server.close()
    assert result.stdout == b"HELLO LAB"


def test_relay_reports_a_refused_connection():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "bridge_cli.lab.relay", "127.0.0.1", str(port)],
        capture_output=True, text=True, timeout=20,
    )  # fmt: skip
    assert result.returncode == 255
    assert "cannot connect" in result.stderr


def test_inventory_has_group_bridges_proxy_and_offline_vars(tmp_path):
    path = inventory.write_inventory(tmp_path, "x", topo.Names("x"), "10.77.0.10", "dummy-psk")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    data = yaml.safe_load(path.read_text())
    host = data["bridges"]["hosts"]["lab-x"]
    assert host["ansible_host"] == "10.77.0.10"
    assert "ProxyCommand=" in host["ansible_ssh_common_args"]
    assert f"netns exec {topo.PREFIX}-x-home" in host["ansible_ssh_common_args"]
    assert "StrictHostKeyChecking=yes" in host["ansible_ssh_common_args"]
    group = data["bridges"]["vars"]
    assert group["bridge_base_apt_update_cache"] is False
    assert group["bridge_wifi_psk"] == "dummy-psk"
    assert "dummy-psk" not in host["ansible_ssh_common_args"]


def test_stale_pid_file_never_signals_a_foreign_process(tmp_path):
    """A pid file naming some other process (pid reuse) must not get it killed."""
    other = subprocess.Popen(["sleep", "30"])
    try:
        pid_file = tmp_path / "x.pid"
        pid_file.write_text(f"{other.pid}\n")
        procs.stop(pid_file, expect="--pid-file=/nonexistent", timeout=1)
        assert other.poll() is None
        assert not pid_file.exists()
    finally:
        other.kill()
        other.wait()


def test_stop_ends_the_expected_process(tmp_path):
    proc = subprocess.Popen(["sleep", "31"])
    pid_file = tmp_path / "x.pid"
    pid_file.write_text(f"{proc.pid}\n")
    procs.stop(pid_file, expect="sleep 31", timeout=5)
    assert not procs.alive(proc.pid)
    assert not pid_file.exists()
    proc.wait(timeout=5)


def test_preflight_names_a_kernel_without_overlayfs(monkeypatch):
    monkeypatch.setattr(capabilities, "_kernel_filesystems", lambda: "nodev\tproc\n\text4\n")
    missing = capabilities.missing_capabilities()
    assert "the kernel has no overlayfs (modprobe overlay)" in missing


def test_cli_up_without_capabilities_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(capabilities.os, "geteuid", lambda: 1000)
    result = CliRunner().invoke(cli, ["lab", "up", "--name", "nope"])
    assert result.exit_code == 1
    assert result.output.startswith("error: the lab cannot run on this machine: needs root")


def test_cli_bad_firmware_is_one_line_exit_2():
    result = CliRunner().invoke(cli, ["lab", "up", "--firmware", "new; rm"])
    assert result.exit_code == 2
    assert result.output.startswith("error: firmware: ")


def test_httpget_reports_status_headers_and_raw_body_over_loopback():
    import base64
    import gzip
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = gzip.compress(b'{"ok": 1}') if self.path == "/gz" else b"missing"
            self.send_response(200 if self.path == "/gz" else 404)
            if self.path == "/gz":
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        run = [sys.executable, "-m", "bridge_cli.lab.httpget"]
        out = subprocess.run([*run, f"{base}/gz"], capture_output=True, check=True).stdout
        ok = json.loads(out)
        assert ok["status"] == 200 and ok["headers"]["content-encoding"] == "gzip"
        assert json.loads(gzip.decompress(base64.b64decode(ok["body_b64"]))) == {"ok": 1}
        missing = subprocess.run([*run, f"{base}/x"], capture_output=True, check=True).stdout
        assert json.loads(missing)["status"] == 404
    finally:
        server.shutdown()


def test_cli_down_without_root_says_so_in_one_line(monkeypatch, tmp_path):
    from bridge_cli.lab import lab as lab_module

    monkeypatch.setenv("BRIDGE_LAB_STATE", str(tmp_path))
    monkeypatch.setattr(lab_module.os, "geteuid", lambda: 1000)
    result = CliRunner().invoke(cli, ["lab", "down", "--name", "x"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "needs root" in lines[0]
