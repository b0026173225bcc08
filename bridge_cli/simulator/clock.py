"""The simulator's protocol clock: session lifetimes and WebSocket closes run on it.

A PVS ends a login session 300 s after login and closes its telemetry WebSocket every
10 minutes. Tests and soaks need not wait that long: the clock can run faster than real
time (`scale`, e.g. 60 makes the 300 s session last 5 real seconds) and can be moved on
by hand (`advance`, also `POST /_sim/clock?advance=SECONDS`), so a test checks "expired
after 300 s" without sleeping. Only these protocol timers use it; the site model's wall
clock (sun, energy counters) is `SimulatorConfig.clock`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SimClock:
    """Monotonic simulated seconds: real elapsed time times `scale`, plus manual advances."""

    def __init__(self, scale: float = 1.0, source: Callable[[], float] = time.monotonic):
        if not scale > 0:
            raise ValueError("scale must be > 0")
        self.scale = scale
        self._source = source
        self._start = source()
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return (self._source() - self._start) * self.scale + self._offset

    def advance(self, seconds: float) -> float:
        """Move simulated time on by `seconds` (>= 0); returns the new now()."""
        if seconds < 0:
            raise ValueError("cannot go back in time")
        with self._lock:
            self._offset += seconds
        return self.now()

    def real_seconds(self, simulated: float) -> float:
        """How long `simulated` seconds take on the wall clock (for poll intervals)."""
        return simulated / self.scale
