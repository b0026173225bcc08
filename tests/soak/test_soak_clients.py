"""The soak's client process for real against a loopback simulator (no lab): pollers and
the probe get answers, and after a firmware update the PVS's 403 counts as `locked`."""

from __future__ import annotations

import time

import pytest

from bridge_cli.simulator.server import SimulatorConfig, SimulatorServer
from bridge_cli.soak import analyze, clients


@pytest.fixture
def sim(tmp_path):
    server = SimulatorServer(
        SimulatorConfig(latency="none", inverters=3, state_dir=tmp_path, https_port=None)
    ).start()
    yield server
    server.stop()


def _run(sim, tmp_path, seconds: float) -> list[dict]:
    log = tmp_path / "requests.jsonl"
    code = clients.main([
        "127.0.0.1", "--port", str(sim.ports["http"]), "--log", str(log),
        "--until", str(time.time() + seconds), "--stop-flag", str(tmp_path / "stop"),
        "--newfw-flag", str(tmp_path / "newfw"), "--pollers", "2", "--interval", "0.2",
        "--pypvs", "0", "--probe-interval", "0.2",
    ])  # fmt: skip
    assert code == 0
    return analyze.load(log)


def test_pollers_and_probe_get_answers(sim, tmp_path):
    records = _run(sim, tmp_path, 1.0)
    legacy = [r for r in records if r["kind"] == "legacy"]
    probe = [r for r in records if r["kind"] == "probe"]
    assert legacy and probe
    assert {r["outcome"] for r in records} == {"ok"}
    assert {r["inverters"] for r in legacy} == {3}
    assert {r["client"] for r in legacy} == {0, 1}
    assert analyze.first_served_after(records, 0) is not None
    counts = sim.counters()["commands"]
    assert counts["DeviceList"] == len(legacy) and counts["Get_Comm"] == len(probe)


def test_the_2025_firmwares_refusal_is_locked_not_an_error(sim, tmp_path):
    sim.model.build = 61846  # the old API answers 403 (no reboot needed for this check)
    records = _run(sim, tmp_path, 0.5)
    assert records and {r["outcome"] for r in records} == {"locked"}
    assert analyze.tally(records)["errors"] == 0


def test_bad_limits_exit_2(tmp_path, capsys):
    args = ["h", "--log", str(tmp_path / "l"), "--until", "0", "--stop-flag", "s",
            "--newfw-flag", "n", "--pollers", "101"]  # fmt: skip
    assert clients.main(args) == 2
    assert "pollers" in capsys.readouterr().err
