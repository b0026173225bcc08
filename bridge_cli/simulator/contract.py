"""What the request handlers (HTTP and WebSocket) need of the running simulator.

The handlers are given the server at run time; naming this protocol instead of the server
class keeps the import graph one-way: server -> handler/websocket -> contract.
"""

from __future__ import annotations

from typing import Any, Protocol


class Simulator(Protocol):
    config: Any
    model: Any
    varserver: Any
    faults: Any
    counters: Any
    clock: Any
    scan_lock: Any
    stopping: Any
    realistic: Any

    def count(self, *args: Any, **kwargs: Any) -> Any: ...

    def count_event(self, *args: Any, **kwargs: Any) -> Any: ...

    def record_status(self, *args: Any, **kwargs: Any) -> Any: ...

    def clock_state(self, *args: Any, **kwargs: Any) -> Any: ...

    def set_fault(self, *args: Any, **kwargs: Any) -> Any: ...

    def set_firmware(self, *args: Any, **kwargs: Any) -> Any: ...

    def reset_counters(self, *args: Any, **kwargs: Any) -> Any: ...
