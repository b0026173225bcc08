"""Section 8 of the bench (the 2025 firmware's API): its parsers, its report, splicing it
into an existing BENCHMARKS.md, and the CLI's refusal of a missing report (pure parts; the
measurement itself runs in test_bench_quick.py)."""

from __future__ import annotations

from click.testing import CliRunner

from harness.bench import handshakes, newfwreport
from harness.bench.commands import bench

# `openssl speed -mr ecdsap256 ecdhx25519` as OpenSSL 3 prints it (machine-readable).
SPEED = """+DTP:256:sign:ecdsa:1
+R5:21594:256:0.40
+F4:3:256:53985.000000:17916.071429
+F5:22:253:40012.500000:0.000025
"""


def test_openssl_speed_figures_parsed():
    rates = handshakes.parse_speed(SPEED)
    assert rates == {"ecdsa_p256_sign": 53985.0, "x25519": 40012.5}
    assert handshakes.handshake_crypto_seconds(rates) == 1 / 53985.0 + 1 / 40012.5
    assert handshakes.parse_speed("+F4:3:384:100:50\n") == {}  # another curve is not ours


def results(per_minute: float = 240.0, peak: int = 1) -> dict:
    side = {"p50": 0.002, "p99": 0.003}
    lat = {"passthrough": side, "terminate": {"p50": 0.003, "p99": 0.005},
           "added_p50": 0.001, "added_p99": 0.002}  # fmt: skip
    return {
        "command": "bridge-cli lab bench --only-new-firmware",
        "started": "2026-12-02 10:00:00",
        "newfw": {
            "latency": {"requests": 10, "new_connection": lat, "keep_alive": lat},
            "handshakes": {
                "clients": 2,
                "seconds": 2.0,
                "handshakes": 100,
                "failed": 0,
                "rate": 50.0,
                "haproxy_cpu_seconds": 0.5,
                "per_core": 200.0,
                "cipher": ["TLS_AES_256_GCM_SHA384", "TLSv1.3", 256],
            },  # fmt: skip
            "estimate": {
                "native": {"ecdsa_p256_sign": 1000.0, "x25519": 1000.0},
                "emulated": {"ecdsa_p256_sign": 100.0, "x25519": 100.0},
                "root": "/cache/bookworm-armhf",
                "ratio": 10.0,
            },  # fmt: skip
            "pollers": {
                "clients": [{"polls": 6, "errors": 0}] * 3,
                "interval": 10.0,
                "duration": 60.0,
                "peak": peak,
                "requests": int(per_minute),
                "per_minute": per_minute,
                "commands": {"vars": 230},
                "per_poll": 12.8,
            },  # fmt: skip
        },
    }


def test_section_rows_and_verdicts():
    lines, rows = newfwreport.section(results())
    text = "\n".join(lines)
    assert "| new TLS connection each | 2.00 ms / 3.00 ms | 3.00 ms / 5.00 ms |" in text
    assert "about **20/s**" in text  # 200 per core / 10x slower
    assert [r[0][:3] for r in rows] == ["8a.", "8b.", "8c.", "8d."]
    assert rows[2][3] == "met" and rows[3][3] == "**missed** by 220"
    _, rows = newfwreport.section(results(per_minute=12, peak=2))
    assert rows[2][3] == "**missed**" and rows[3][3] == "met"


def test_a_failed_part_is_said_not_hidden():
    data = results()
    data["newfw"]["estimate"] = {"native": {}, "error": "no qemu-arm"}
    data["newfw"]["pollers"] = {"error": "RuntimeError: boom"}
    lines, rows = newfwreport.section(data)
    text = "\n".join(lines)
    assert "Pi Zero W estimate: not made (no qemu-arm)" in text
    assert "not measured (RuntimeError: boom)" in text
    assert rows[-1][1] == "not measured"


BASE = """# Benchmarks

## Summary

| Item | Measured | Target | Result |
|---|---|---|---|
| 1. Proxy overhead | 1 ms | < 1 ms | met |

## 1. Proxy overhead

text one
"""


def test_splice_adds_then_replaces_section_8_and_keeps_the_rest():
    once = newfwreport.splice(BASE, results())
    assert "| 1. Proxy overhead | 1 ms | < 1 ms | met |\n| 8a." in once  # in the summary
    assert "text one" in once and once.count(newfwreport.HEADING) == 1
    twice = newfwreport.splice(once, results(per_minute=12))
    assert twice.count(newfwreport.HEADING) == 1 and twice.count("| 8d.") == 1
    assert "| 8d. Three pypvs clients every 10 s: requests per minute at the PVS | 12 |" in twice
    assert twice.index("| 1. Proxy overhead") < twice.index("| 8a.") < twice.index("## 1.")


def test_only_new_firmware_needs_an_existing_report(tmp_path):
    out = CliRunner().invoke(bench, ["--only-new-firmware", "-o", str(tmp_path / "missing.md")])
    assert out.exit_code == 2
    assert "--only-new-firmware adds to an existing report" in out.output
    assert not (tmp_path / "missing.md").exists()
