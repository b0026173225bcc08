"""The Counters object on its own: thread safety, peak, reset, bounded names."""

from __future__ import annotations

import threading

from bridge_cli.simulator.counters import MAX_COMMAND_NAMES, OVERFLOW, Counters


def test_counts_from_many_threads():
    counters = Counters()
    inside = threading.Barrier(8)

    def worker():
        with counters.in_flight("DeviceList"):
            inside.wait(10)  # all 8 in flight at once
        for _ in range(999):
            with counters.in_flight("DeviceList"):
                pass
            counters.status(200)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    snap = counters.snapshot()
    assert snap["requests"] == 8000 and snap["commands"] == {"DeviceList": 8000}
    assert snap["statuses"] == {"200": 8 * 999}
    assert snap["concurrency"] == {"current": 0, "peak": 8}


def test_reset_keeps_requests_in_flight():
    counters = Counters()
    with counters.in_flight("vars"):
        counters.reset()
        snap = counters.snapshot()
        assert snap["requests"] == 0 and snap["concurrency"] == {"current": 1, "peak": 1}
    assert counters.snapshot()["concurrency"]["current"] == 0


def test_command_names_are_bounded():
    counters = Counters()
    for i in range(MAX_COMMAND_NAMES + 50):
        with counters.in_flight(f"Cmd{i}"):
            pass
    commands = counters.snapshot()["commands"]
    assert len(commands) == MAX_COMMAND_NAMES + 1 and commands[OVERFLOW] == 50
