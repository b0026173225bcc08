"""What reached the simulated PVS: requests per command, concurrency, statuses.

Thread-safe: every handler thread updates one shared `Counters` under a lock.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import contextmanager

MAX_COMMAND_NAMES = 200  # distinct names kept; clients can send any Command=...
OVERFLOW = "(other commands)"


class Counters:
    """Request accounting for one simulator (control endpoints are not counted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset_locked()

    def _reset_locked(self) -> None:
        self._commands: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._requests = 0
        self._current = 0
        self._peak = 0
        self._connections_total = 0
        self._events: Counter[str] = Counter()  # e.g. WebSocket messages, polls, closes
        self._since = time.time()

    def reset(self) -> None:
        """Zero everything; requests in flight stay counted as in flight."""
        with self._lock:
            current = self._current
            self._reset_locked()
            self._current = current
            self._peak = current

    @contextmanager
    def in_flight(self, command: str):
        """Count one request to `command` for as long as the block runs."""
        with self._lock:
            self._requests += 1
            if command not in self._commands and len(self._commands) >= MAX_COMMAND_NAMES:
                command = OVERFLOW
            self._commands[command] += 1
            self._current += 1
            self._peak = max(self._peak, self._current)
        try:
            yield
        finally:
            with self._lock:
                self._current -= 1

    def status(self, code: int) -> None:
        """Record the status of a response the simulator sent (or 0 for none: hang/drop)."""
        with self._lock:
            self._statuses[str(code)] += 1

    def event(self, name: str) -> None:
        with self._lock:
            self._events[name] += 1

    def connection(self) -> None:
        with self._lock:
            self._connections_total += 1

    def snapshot(self) -> dict:
        """The counters as plain JSON-ready data (see README.md for the schema)."""
        with self._lock:
            return {
                "requests": self._requests,
                "commands": dict(sorted(self._commands.items())),
                "statuses": dict(sorted(self._statuses.items())),
                "concurrency": {"current": self._current, "peak": self._peak},
                "connections": self._connections_total,
                "events": dict(sorted(self._events.items())),
                "since": round(self._since, 3),
            }
