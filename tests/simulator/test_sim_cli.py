"""`bridge-cli simulate`: bad input, a real foreground run, and the lab's netns layout."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid

import pytest
from click.testing import CliRunner
from simhttp import get_json

from bridge_cli.cli import cli


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--firmware", "newest"], "firmware"),
        (["--port", "70000"], "port"),
        (["--https-port", "-1"], "https-port"),
        (["--host", "pvs.local"], "host"),
        (["--inverters", "999"], "inverters"),
        (["--fault", "explode"], "fault"),
        (["--fault", "slow", "--fault-seconds", "soon"], "fault-seconds"),
        (["--serial", "ab"], "serial"),
        (["--session-ttl", "0"], "session-ttl"),
        (["--session-ttl", "nan"], "session-ttl"),
        (["--inverters", "many"], "inverters"),
        (["--latency", "fast"], "latency"),
        (["--port", "http"], "port"),
        (["--model", "PVS7"], "model"),
        (["--time-scale", "0"], "time-scale"),
        (["--time-scale", "fast"], "time-scale"),
    ],
)
def test_bad_input_one_line_exit_2(args, field):
    result = CliRunner().invoke(cli, ["simulate", *args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("option", ["--port", "--ws-port"])
def test_port_in_use_names_the_option(option):
    """A busy port: one line naming the address, the option to change, exit 1."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        ports = {"--port": "0", "--https-port": "0", "--ws-port": "0", option: str(port)}
        argv = [a for kv in ports.items() for a in kv]
        r = subprocess.run(
            [sys.executable, "-m", "bridge_cli", "simulate", "--firmware", "61846", *argv],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines() == [
        f"error: simulate: cannot listen on 127.0.0.1:{port} ({option}): Address already in "
        f"use; pick another {option} (0: any free port)"
    ]


def _start(argv: list[str], prefix: list[str] | None = None) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [*(prefix or []), sys.executable, "-m", "bridge_cli", "simulate", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise AssertionError(f"simulator did not start: {proc.stderr.read()}")
    return proc, line


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def test_foreground_run_prints_urls_and_stops_on_sigterm():
    proc, line = _start(
        ["--port", "0", "--https-port", "0", "--ws-port", "0", "--latency", "none",
         "--firmware", "61846", "--inverters", "3"]
    )  # fmt: skip
    try:
        urls = re.findall(r"(https?|ws)://127\.0\.0\.1:(\d+)", line)
        assert [scheme for scheme, _ in urls][:3] == ["http", "https", "ws"]
        http_url = f"http://127.0.0.1:{urls[0][1]}"
        status, info = get_json(http_url, "/cgi-bin/dl_cgi/supervisor/info")
        assert status == 200 and info["supervisor"]["BUILD"] == 61846
        assert get_json(http_url, "/_sim/counters")[1]["commands"] == {"supervisor/info": 1}
    finally:
        assert _stop(proc) == 0
    assert "Traceback" not in proc.stderr.read()


def test_pvs5_and_clock_control_from_the_command_line():
    proc, line = _start(
        ["--port", "0", "--https-port", "0", "--ws-port", "0", "--latency", "none",
         "--model", "pvs5", "--firmware", "5408", "--time-scale", "60"]
    )  # fmt: skip
    try:
        assert "PVS5 build 5408 (2025 API)" in line and "ws://" not in line
        http_url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        _, info = get_json(http_url, "/cgi-bin/dl_cgi/supervisor/info")
        assert "BUILD" not in info["supervisor"]
        status, clock = get_json(http_url, "/_sim/clock?advance=300", method="POST")
        assert status == 200 and clock["clock"]["scale"] == 60 and clock["clock"]["now"] >= 300
        assert get_json(http_url, "/_sim/clock?advance=-1", method="POST")[0] == 400
    finally:
        assert _stop(proc) == 0


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.mark.lab
def test_runs_in_a_namespace_like_the_lab():
    """The lab's command line, in a throw-away namespace of our own (never the host's)."""
    ns = f"simtest-{uuid.uuid4().hex[:8]}"
    _ip("netns", "add", ns)
    try:
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "addr", "add", "172.27.153.1/24", "dev", "lo")
        proc, line = _start(
            ["--host", "172.27.153.1", "--port", "80", "--https-port", "443",
             "--ws-port", "9002", "--firmware", "61846", "--latency", "none"],
            prefix=["ip", "netns", "exec", ns],
        )  # fmt: skip
        try:
            assert "http://172.27.153.1:80 https://172.27.153.1:443 ws://172.27.153.1:9002" in line

            def curl(*args: str, config: str = "") -> str:
                return subprocess.run(
                    ["ip", "netns", "exec", ns, "curl", "-sk", "--max-time", "10", *args],
                    check=True, capture_output=True, text=True, input=config,
                ).stdout  # fmt: skip

            info = json.loads(curl("http://172.27.153.1/cgi-bin/dl_cgi/supervisor/info"))
            assert info["supervisor"]["BUILD"] == 61846
            jar = f"/tmp/{ns}.jar"
            try:
                login = json.loads(  # credentials on stdin, not on the command line
                    curl(
                        "-K",
                        "-",
                        "-c",
                        jar,
                        "https://172.27.153.1/auth?login",
                        config='user = "ssm_owner:A0748"\n',
                    )  # fmt: skip
                )
                assert login["session"]
                data = json.loads(
                    curl("-b", jar, "https://172.27.153.1/vars?name=/sys/info/uptime")
                )
                assert data["count"] == 1
            finally:
                if os.path.exists(jar):
                    os.unlink(jar)
        finally:
            assert _stop(proc) == 0
    finally:
        _ip("netns", "del", ns)
