"""The simulator's listeners and lifecycle: `SimulatorServer(SimulatorConfig(...))`.

    with SimulatorServer(SimulatorConfig(latency="none")) as sim:
        urllib.request.urlopen(sim.http_url + "/cgi-bin/dl_cgi?Command=DeviceList")
        sim.counters()["commands"]["DeviceList"]  # -> 1

Listeners: HTTP (always), HTTPS and the telemetry WebSocket (new firmware only). Each
serves connections on a bounded set of worker threads. A "restarting" fault closes every
listener and connection for N seconds, then boots the PVS again (small dl_uptime).
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import HTTPServer
from pathlib import Path

from bridge_cli.simulator import tls
from bridge_cli.simulator.clock import SimClock
from bridge_cli.simulator.counters import Counters
from bridge_cli.simulator.faults import Fault, FaultState, validate_mode
from bridge_cli.simulator.handler import handler_for
from bridge_cli.simulator.model import (
    DEFAULT_SERIAL,
    LEGACY_BUILD,
    PVS5_LEGACY_BUILD,
    PVS_MODELS,
    SiteModel,
)
from bridge_cli.simulator.varserver import Varserver
from bridge_cli.simulator.websocket import TelemetryHandler

log = logging.getLogger(__name__)


@dataclass
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: pick a free port
    https_port: int | None = 0  # new firmware only; None: no HTTPS listener
    ws_port: int | None = 0  # new firmware only; None: no telemetry listener
    inverters: int = 12
    firmware: str | int = "legacy"  # "legacy" or a build number (>= 61840: 2025 API)
    latency: str = "realistic"  # or "none"
    fault: str = "none"
    fault_seconds: float | None = None
    serial: str = DEFAULT_SERIAL
    metering_kit: bool = True  # False: consumption meter present but all zeros
    ess: bool = False  # add the SunVault devices
    session_ttl: float = 300.0
    timezone: str = "America/Los_Angeles"
    clock: Callable[[], float] = time.time
    state_dir: Path | None = None  # where the TLS certificate is cached
    max_threads: int = 128  # worker threads per listener
    keepalive_idle: float = 5.0  # lighttpd closes idle keep-alive connections after 5 s
    ws_interval: float = 1.0  # how often (real seconds) the WebSocket looks for changes
    pvs_model: str = "PVS6"  # "PVS5": telemetry switch answers 400, no port 9002
    time_scale: float = 1.0  # protocol timers (sessions, WebSocket closes) run this much faster
    ws_lifetime: float = 600.0  # the PVS closes each telemetry WebSocket after 10 minutes
    sim_clock: SimClock | None = None  # injected protocol clock (default: SimClock(time_scale))
    inverter_return: float = 0.0  # after a reboot, inverters reappear this many s apart

    @property
    def build(self) -> int:
        if self.firmware in ("legacy", "", None):
            return PVS5_LEGACY_BUILD if self.pvs_model == "PVS5" else LEGACY_BUILD
        return int(self.firmware)


class ListenError(OSError):
    """One listener could not be opened: which one (http, https, ws), on which address."""

    def __init__(self, name: str, host: str, port: int, exc: OSError):
        super().__init__(exc.errno, exc.strerror or str(exc))
        self.listener, self.host, self.port = name, host, port


class _Listener(socketserver.ThreadingMixIn, HTTPServer):
    """A TCP server with at most `max_threads` connections served at once."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, sim: SimulatorServer, address, handler, ssl_context=None):
        self.sim = sim
        self.ssl_context = ssl_context
        self.slots = threading.BoundedSemaphore(sim.config.max_threads)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def server_bind(self) -> None:  # no reverse DNS lookup (HTTPServer does getfqdn)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        sock, address = self.socket.accept()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, address

    def process_request(self, request, client_address) -> None:
        while not self.slots.acquire(timeout=0.5):
            if self.sim.stopping.is_set():
                self.shutdown_request(request)
                return
        self.sim._track(request, True)
        try:
            super().process_request(request, client_address)
        except Exception:
            self.sim._track(request, False)
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.sim._track(request, False)
            self.slots.release()

    def handle_error(self, request, client_address) -> None:
        log.exception("simulator: error while serving %s", client_address)


class SimulatorServer:
    """A simulated PVS on loopback (or any address): context manager, start()/stop()."""

    def __init__(self, config: SimulatorConfig | None = None):
        self.config = config or SimulatorConfig()
        validate_mode(self.config.fault)
        if self.config.latency not in ("realistic", "none"):
            raise ValueError(f"latency must be 'realistic' or 'none', not {self.config.latency!r}")
        c = self.config
        if c.pvs_model not in PVS_MODELS:
            raise ValueError(f"pvs_model must be one of {', '.join(PVS_MODELS)}")
        self.clock = c.sim_clock or SimClock(c.time_scale)
        self.model = SiteModel(
            serial=c.serial,
            inverters=c.inverters,
            build=c.build,
            metering_kit=c.metering_kit,
            ess=c.ess,
            timezone=c.timezone,
            clock=c.clock,
            pvs_model=c.pvs_model,
            inverter_return_seconds=c.inverter_return,
        )
        self.varserver = Varserver(self.model, c.session_ttl, self.clock)
        self.faults = FaultState()
        self._counters = Counters()
        self.stopping = threading.Event()
        self.scan_lock = threading.Lock()
        self._listeners: dict[str, _Listener] = {}
        self._threads: list[threading.Thread] = []
        self._ports: dict[str, int] = {}
        self._connections: set = set()
        self._conn_lock = threading.Lock()
        self._restart_lock = threading.Lock()
        self._listeners_lock = threading.RLock()  # open/close from several threads
        self._restart_thread: threading.Thread | None = None
        self._ssl_context = None
        self._pending_build: int | None = None  # a firmware switch waiting for the reboot
        self._pending_new_certificate = False  # ... that also makes the PVS a new certificate

    # ----- lifecycle --------------------------------------------------------------------
    def __enter__(self) -> SimulatorServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def realistic(self) -> bool:
        return self.config.latency == "realistic"

    def _plan_ports(self) -> None:
        """The listeners the current firmware has (ports kept from an earlier boot)."""
        c = self.config
        old = self._ports
        self._ports = {"http": old.get("http", c.port)}
        if self.model.new_firmware:
            if c.https_port is not None:
                if self._ssl_context is None:
                    cert, key = tls.ensure_certificate(
                        c.state_dir or tls.default_state_dir(), self.model.serial, c.host
                    )
                    self._ssl_context = tls.server_context(cert, key)
                self._ports["https"] = old.get("https", c.https_port)
            if c.ws_port is not None and not self.model.pvs5:  # a PVS5 has no 9002
                self._ports["ws"] = old.get("ws", c.ws_port)

    def start(self) -> SimulatorServer:
        c = self.config
        self._ports = {}
        self._plan_ports()
        try:
            self._open_listeners()
        except OSError:
            self._close_listeners()
            raise
        if c.fault != "none":
            self.set_fault(c.fault, seconds=c.fault_seconds)
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.faults.set("none")  # wake hanging requests
        with self._restart_lock:  # a restart in progress sees `stopping` and gives up
            self._close_listeners()
            self._close_connections()
        if self._restart_thread is not None:
            self._restart_thread.join(timeout=5)

    def wait(self) -> None:
        """Block until stop() (from a signal handler or another thread)."""
        self.stopping.wait()

    def _open_listeners(self) -> None:
        with self._listeners_lock:
            self._open_listeners_locked()

    def _open_listeners_locked(self) -> None:
        for name, port in self._ports.items():
            try:
                if name == "ws":
                    handler = type("TelemetryHandler_", (TelemetryHandler,), {"sim": self})
                    listener = _Listener(self, (self.config.host, port), handler)
                else:
                    scheme_ctx = self._ssl_context if name == "https" else None
                    listener = _Listener(
                        self, (self.config.host, port), handler_for(self, name), scheme_ctx
                    )
            except OSError as exc:
                raise ListenError(name, self.config.host, port, exc) from exc
            self._listeners[name] = listener
            self._ports[name] = listener.server_address[1]  # keep the port across restarts
            thread = threading.Thread(
                target=listener.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"sim-{name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def _close_listeners(self) -> None:
        with self._listeners_lock:
            listeners, self._listeners = self._listeners, {}
            for listener in listeners.values():
                listener.shutdown()
                listener.server_close()
            for thread in self._threads:
                thread.join(timeout=5)
            self._threads = []

    def _track(self, sock, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections.add(sock)
            else:
                self._connections.discard(sock)
        if add:
            self._counters.connection()

    def _close_connections(self) -> None:
        with self._conn_lock:
            connections = list(self._connections)
        for sock in connections:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    # ----- URLs --------------------------------------------------------------------------
    def _url(self, scheme: str, name: str) -> str | None:
        port = self._ports.get(name)
        if port is None:
            return None
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"{scheme}://{host}:{port}"

    @property
    def http_url(self) -> str:
        url = self._url("http", "http")
        assert url is not None
        return url

    @property
    def https_url(self) -> str | None:
        return self._url("https", "https")

    @property
    def ws_url(self) -> str | None:
        return self._url("ws", "ws")

    @property
    def ports(self) -> dict[str, int]:
        return dict(self._ports)

    # ----- counters and faults -----------------------------------------------------------
    @contextmanager
    def count(self, command: str):
        with self._counters.in_flight(command):
            yield

    def count_event(self, name: str) -> None:
        self._counters.event(name)

    def record_status(self, status: int) -> None:
        self._counters.status(status)

    def counters(self) -> dict:
        data = self._counters.snapshot()
        data["fault"] = self.faults.current.as_dict()
        data["boots"] = self.model.boots
        data["uptime"] = round(self.model.uptime(), 1)
        return data

    def clock_state(self) -> dict:
        return {"clock": {"now": round(self.clock.now(), 3), "scale": self.clock.scale}}

    def reset_counters(self) -> None:
        self._counters.reset()

    def set_fault(self, mode: str, seconds: float | None = None, **_: object) -> Fault:
        """Switch fault mode now; "restarting" goes offline for `seconds`, then reboots.

        For "restarting" the listeners are closed before this returns, so the next
        connection is refused; open connections are closed a moment later (the answer to
        a `POST /_sim/fault` goes out first).
        """
        fault = self.faults.set(validate_mode(mode), seconds)
        if mode == "restarting":
            self._close_listeners()
            thread = threading.Thread(
                target=self._restart, args=(fault,), name="sim-restart", daemon=True
            )
            self._restart_thread = thread
            thread.start()
        return fault

    def set_firmware(
        self, build: int | str, seconds: float | None = None, new_certificate: bool = False
    ) -> Fault:
        """A firmware update: the PVS goes offline for `seconds` (like "restarting") and
        boots with `build` ('legacy' or a build number), with the listeners that build
        has (HTTPS and the WebSocket from the 2025 firmware on). `new_certificate`: it
        boots with a certificate made anew (a replaced or reset PVS), not the cached one."""
        if build == "legacy":
            build = PVS5_LEGACY_BUILD if self.model.pvs5 else LEGACY_BUILD
        self._pending_build = int(build)
        self._pending_new_certificate = new_certificate
        return self.set_fault("restarting", seconds=seconds)

    def clear_fault(self) -> Fault:
        return self.faults.clear()

    def _restart(self, fault: Fault) -> None:
        with self._restart_lock:
            if self.stopping.wait(0.2):  # let the control answer go out first
                return
            self._close_listeners()
            self._close_connections()
            if self.stopping.wait(fault.delay):
                return
            self.model.reboot()
            self.varserver.clear_sessions()
            if self._pending_build is not None:
                self.model.build, self._pending_build = self._pending_build, None
                if self._pending_new_certificate and self.model.new_firmware:
                    self._pending_new_certificate = False
                    self._ssl_context = tls.fresh_context(self.model.serial, self.config.host)
                try:
                    self._plan_ports()
                except OSError as exc:  # no certificate: stay offline, say why
                    log.error("simulator: cannot switch firmware: %s", exc)
                    return
            for attempt in range(50):
                try:
                    self._open_listeners()
                    break
                except OSError as exc:
                    self._close_listeners()
                    log.warning("simulator: cannot listen again yet (%s), retrying", exc)
                    if self.stopping.wait(0.2 * (attempt + 1)):
                        return
            if self.faults.current is fault:
                self.faults.clear()
