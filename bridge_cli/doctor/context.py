"""What the doctor was asked to look at, and what the checks found out along the way."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 3.0
DEFAULT_DEVICELIST_TIMEOUT = 120.0
DEFAULT_SSH_USER = "pi"


@dataclass(frozen=True)
class DoctorOptions:
    host: str  # as the user typed it (name or address)
    address: str  # what it resolved to
    port: int = 80
    https_port: int = 443
    stats_port: int = 8080
    ssh_port: int = 22
    serial: str | None = None
    ssh: bool = True
    ssh_user: str = DEFAULT_SSH_USER
    ssh_key: Path | None = None  # None: ssh-agent and ~/.ssh/id_* (as ssh does)
    ssh_known_hosts: Path | None = None
    ssh_strict: bool = False
    pvs_interface: str = "eth0"
    pvs_interface_given: bool = False  # typed or from the inventory: wins over the facts
    timeout: float = DEFAULT_TIMEOUT
    devicelist_timeout: float = DEFAULT_DEVICELIST_TIMEOUT
    resolve_seconds: float = 0.0
    state_dir: Path | None = None  # where dl_untransmitted is remembered between runs


@dataclass
class Context:
    """Shared between checks: options, plus data one check reads and another interprets."""

    options: DoctorOptions
    data: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self.data[key] = value

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self.data.get(key, default)
