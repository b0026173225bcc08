"""Pure parts of the benchmark: statistics, /proc parsing, HTTP framing, Ansible summaries,
the report's verdicts, and the command's bad-input handling."""

from __future__ import annotations

import gzip
import socket
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from harness import ROOT
from harness.bench import procstat, provisioning, report, stats, wire
from harness.bench.commands import bench


def test_percentile_nearest_rank():
    values = list(range(1, 101))
    assert stats.percentile(values, 50) == 50
    assert stats.percentile(values, 99) == 99
    assert stats.percentile(values, 100) == 100
    assert stats.percentile([3.0], 99) == 3.0
    assert stats.percentile([], 50) is None
    with pytest.raises(ValueError):
        stats.percentile(values, 101)


def test_saving():
    assert stats.saving(1000, 150) == pytest.approx(85.0)
    with pytest.raises(ValueError):
        stats.saving(0, 1)


def test_proc_parsers():
    status = "Name:\thaproxy\nVmPeak:\t 9000 kB\nVmRSS:\t   23604 kB\nRssAnon:\t 3740 kB\n"
    assert procstat.parse_status_rss(status) == 23604
    with pytest.raises(ValueError):
        procstat.parse_status_rss("Name:\tkthreadd\n")
    # comm with spaces and parentheses; utime=250, stime=50 ticks
    stat = "1234 (ha (proxy) x) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100 0 0"
    assert procstat.parse_stat_cpu(stat, ticks=100) == pytest.approx(3.0)
    before = procstat.Sample(1, 1.0, 10.0)
    after = procstat.Sample(1, 1.5, 12.0)
    assert procstat.cpu_percent(before, after) == pytest.approx(25.0)


def _serve_once(payload: bytes) -> int:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def run():
        conn, _ = srv.accept()
        conn.recv(65536)
        conn.sendall(payload)
        conn.close()
        srv.close()

    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1]


def test_wire_counts_every_byte_and_decodes_chunked_gzip():
    body = b'{"devices": [1, 2, 3]}' * 50
    packed = gzip.compress(body)
    chunked = (
        b"".join(
            b"%x\r\n%s\r\n" % (len(packed[i : i + 100]), packed[i : i + 100])
            for i in range(0, len(packed), 100)
        )
        + b"0\r\n\r\n"
    )
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    port = _serve_once(head + chunked)
    answer = wire.get("127.0.0.1", port, "/x", {"Accept-Encoding": "gzip"})
    assert answer.status == 200
    assert answer.wire_bytes == len(head) + len(chunked)
    assert answer.header_bytes == len(head)
    assert answer.body == body
    assert answer.encoding == "gzip"


def test_provisioning_summary_counts_facts_and_changes():
    timer = {
        "tasks": [
            {"task": "Gathering Facts", "action": "gather_facts", "status": "ok", "seconds": 2.0},
            {"task": "svc", "action": "ansible.builtin.service_facts", "status": "ok",
             "seconds": 1.0},
            {"task": "a", "action": "ansible.builtin.copy", "status": "changed", "seconds": 3.0},
            {"task": "b", "action": "ansible.builtin.apt", "status": "skipped", "seconds": 0.0},
        ],
        "stats": {"h": {"changed": 1, "failures": 0, "unreachable": 0}},
    }  # fmt: skip
    s = provisioning.summarize(timer, wall=10.0, returncode=0)
    assert s["tasks"] == 4
    assert s["by_status"] == {"ok": 2, "changed": 1, "skipped": 1}
    assert s["changed"] == 1
    assert s["facts_seconds"] == pytest.approx(3.0)
    assert s["facts_share_pct"] == pytest.approx(30.0)
    assert s["play_facts_gathered"] is True
    assert s["slowest"][0] == {"task": "a", "seconds": 3.0}


def _results(rss_kb: int, added_p99: float) -> dict:
    lat = {"count": 500, "p50": 0.001, "p99": 0.002, "min": 0.0005, "max": 0.01, "mean": 0.001}
    through = dict(lat, p50=0.0015, p99=0.002 + added_p99)
    procs = [
        {"pid": 1, "rss_kb": rss_kb // 2, "detail": {"RssFile": 4096, "Pss": 5120}},
        {"pid": 2, "rss_kb": rss_kb // 2, "detail": {"RssFile": 4096, "Pss": 5120}},
    ]
    return {
        "started": "2026-01-01 00:00:00", "command": "bridge-cli lab bench", "wall": 1.0,
        "machine": {"cpu": "x", "cores": 2, "memory_mb": 1, "os": "d", "kernel": "k",
                    "haproxy": "h", "python": "p", "ansible": "a", "load_start": "0 0 0"},
        "lab": {
            "overhead": {"path": "/p", "direct": lat, "through": through, "added_p50": 0.0005,
                         "added_p99": added_p99, "errors": {"direct": 0, "through": 0},
                         "reached_pvs": 1040},
            "footprint": {"idle": {"rss_kb": rss_kb, "cpu_percent": 0.1},
                          "load": {"peak_rss_kb": rss_kb, "cpu_percent": 2.0},
                          "processes_idle": procs, "processes_load": procs,
                          "pollers": 20, "duration": 60,
                          "clients": {"requests": 1200, "errors": {}, "latency": lat}},
        },
    }  # fmt: skip


def test_report_says_by_how_much_a_target_is_missed():
    text = report.render(_results(rss_kb=25 * 1024, added_p99=0.007))
    assert (
        "| 6a. haproxy RSS, lab bridge (master + worker summed) | 25.0 MB | < 20 MB "
        "| **missed** by 5.0 MB |" in text
    )
    assert "| 6b. haproxy PSS, lab bridge (memory it really costs) | 10.0 MB | < 20 MB | met |" in (
        text
    )
    assert "**missed** by 0.00 ms / 2.00 ms" in text
    assert "Why the summed RSS misses" in text and "(8.0 MB file-backed in total)" in text
    assert "## 5. Doctor\n\nNot measured" in text


def test_report_met_targets():
    text = report.render(_results(rss_kb=12 * 1024, added_p99=0.001))
    assert "| 6a. haproxy RSS, lab bridge (master + worker summed) | 12.0 MB | < 20 MB | met |" in (
        text
    )
    assert (
        "| 1. Proxy overhead (added p50 / p99) | 0.50 ms / 1.00 ms | < 1 ms / < 5 ms | met |"
        in (text)
    )
    assert "Why the summed RSS misses" not in text


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--output", "/nonexistent-dir/x.md", "--quick"], "error: output: "),
        (["--lab-prefix", "Bad_Name", "--quick"], "error: lab-prefix: "),
        (["--lab-prefix", "benchmarks", "--quick"], "error: lab-prefix: "),
        (["--release", "bookworm", "--release", "bookworm", "--quick"], "error: release: "),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, field, tmp_path):
    result = CliRunner().invoke(bench, args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(field), result.output
    assert "Traceback" not in result.output


def test_out_of_range_pollers_refused_before_anything_runs(tmp_path):
    out = tmp_path / "B.md"
    result = CliRunner().invoke(bench, ["--quick", "--pollers", "0", "--output", str(out)])
    assert result.exit_code == 2
    assert "--pollers" in result.output
    assert not out.exists()


def test_make_bench_entry_point_refuses_a_bad_option_in_one_line(tmp_path):
    """`python -m harness.bench` (what `make bench` runs), from the checkout."""
    out = tmp_path / "B.md"
    result = subprocess.run(
        [sys.executable, "-m", "harness.bench", "--quick", "--pollers", "0", "-o", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: Invalid value for '--pollers': 0 is not in the range 1<=x<=100. "
        "(see 'python -m harness.bench --help')"
    ]
    assert not out.exists()
