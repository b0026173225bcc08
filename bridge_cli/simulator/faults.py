"""Fault modes of the simulated PVS, switchable at start and at run time."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from bridge_cli.errors import BridgeInputError

FAULT_MODES = (
    "none",
    "restarting",
    "error500",
    "locked403",
    "truncated",
    "hang",
    "slow",
    "slow_scan",  # only DeviceList (the PLC scan) is slow: "DeviceList takes over a minute"
    "hang_missing",  # a /vars name= of a variable the firmware lacks hangs (field notes)
)

# Default duration/extra delay per mode when the caller gives no `seconds`.
DEFAULT_SECONDS = {
    "restarting": 30.0,  # connections refused this long, then a fresh boot
    "hang": 300.0,  # each request hangs this long (or until the fault is cleared)
    "hang_missing": 300.0,  # likewise, only requests naming a missing variable
    "slow": 10.0,  # extra delay added to every response
    "slow_scan": 65.0,  # extra delay added to DeviceList only
}


@dataclass(frozen=True)
class Fault:
    mode: str = "none"
    seconds: float | None = None
    since: float = 0.0

    @property
    def delay(self) -> float:
        return self.seconds if self.seconds is not None else DEFAULT_SECONDS.get(self.mode, 0.0)

    def as_dict(self) -> dict:
        return {"mode": self.mode, "seconds": self.delay, "since": round(self.since, 3)}


def validate_mode(mode: str, field: str = "fault") -> str:
    if mode not in FAULT_MODES:
        raise BridgeInputError(field, f"unknown mode {mode!r}; allowed: {', '.join(FAULT_MODES)}")
    return mode


def validate_seconds(value: float | str | None, field: str = "seconds") -> float | None:
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise BridgeInputError(field, f"must be a number of seconds, got {value!r}") from None
    if not 0 <= seconds <= 86400:
        raise BridgeInputError(field, "must be between 0 and 86400")
    return seconds


def parse_flag(value: str, field: str) -> bool:
    """A control endpoint's yes/no parameter: 1 or 0."""
    if value not in ("0", "1"):
        raise BridgeInputError(field, f"must be 1 or 0, got {value!r}")
    return value == "1"


class FaultState:
    """The current fault, plus an event that wakes hanging requests when it changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fault = Fault()
        self._changed = threading.Event()

    @property
    def current(self) -> Fault:
        with self._lock:
            return self._fault

    def set(self, mode: str, seconds: float | None = None) -> Fault:
        validate_mode(mode)
        with self._lock:
            self._fault = Fault(mode, seconds, time.time())
            old, self._changed = self._changed, threading.Event()
        old.set()  # release requests hanging under the previous fault
        return self._fault

    def clear(self) -> Fault:
        return self.set("none")

    def wait_changed(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; return True early if the fault changed meanwhile."""
        with self._lock:
            event = self._changed
        return event.wait(timeout)
