"""Fixtures: simulators on free loopback ports, without latency."""

from __future__ import annotations

import pytest

from bridge_cli.simulator.server import SimulatorConfig, SimulatorServer

NEW_BUILD = 61846


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("simstate")


@pytest.fixture
def make_sim(state_dir):
    started = []

    def _make(**kw) -> SimulatorServer:
        kw.setdefault("latency", "none")
        kw.setdefault("inverters", 4)
        kw.setdefault("state_dir", state_dir)
        sim = SimulatorServer(SimulatorConfig(**kw)).start()
        started.append(sim)
        return sim

    yield _make
    for sim in started:
        sim.stop()


@pytest.fixture
def legacy(make_sim):
    return make_sim()


@pytest.fixture
def newfw(make_sim):
    return make_sim(firmware=NEW_BUILD)
