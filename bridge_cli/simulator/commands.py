"""`bridge-cli simulate`: run a simulated PVS5/PVS6 in the foreground."""

from __future__ import annotations

import logging
import re
import signal
import sys

import click

from bridge_cli import settings
from bridge_cli.errors import BridgeFailure, BridgeInputError
from bridge_cli.simulator.faults import FAULT_MODES, validate_mode, validate_seconds
from bridge_cli.simulator.model import DEFAULT_SERIAL, NEW_FIRMWARE_BUILD
from bridge_cli.simulator.server import SimulatorConfig, SimulatorServer

_SERIAL_RE = re.compile(r"^[A-Z0-9]{10,24}$")
MAX_INVERTERS = 200


def parse_firmware(value: str) -> str | int:
    text = value.strip().lower()
    if text == "legacy":
        return "legacy"
    if text.isdigit() and 1 <= int(text) <= 999999:
        return int(text)
    raise BridgeInputError(
        "firmware", f"{value!r}: use 'legacy' or a build number (>= {NEW_FIRMWARE_BUILD}: 2025 API)"
    )


def parse_serial(value: str) -> str:
    serial = value.strip().upper()
    if not _SERIAL_RE.match(serial):
        raise BridgeInputError("serial", "10-24 letters and digits, like ZT214385001823A0748")
    return serial


def parse_port(value: int, field: str) -> int:
    return 0 if value == 0 else settings.port(value, field)


def build_config(
    *,
    host: str,
    port: int,
    https_port: int,
    ws_port: int,
    inverters: int,
    firmware: str,
    latency: str,
    fault: str,
    fault_seconds: str | None,
    serial: str,
    metering_kit: bool = True,
    ess: bool = False,
    session_ttl: float = 300.0,
) -> SimulatorConfig:
    """Validate the command line into a SimulatorConfig (BridgeInputError on bad input)."""
    if not 0 <= inverters <= MAX_INVERTERS:
        raise BridgeInputError("inverters", f"must be between 0 and {MAX_INVERTERS}")
    if not 1 <= session_ttl <= 86400:
        raise BridgeInputError("session-ttl", "must be between 1 and 86400 seconds")
    return SimulatorConfig(
        host=settings.ipv4_address(host, "host"),
        port=parse_port(port, "port"),
        https_port=parse_port(https_port, "https-port"),
        ws_port=parse_port(ws_port, "ws-port"),
        inverters=inverters,
        firmware=parse_firmware(firmware),
        latency=latency,
        fault=validate_mode(fault),
        fault_seconds=validate_seconds(fault_seconds, "fault-seconds"),
        serial=parse_serial(serial),
        metering_kit=metering_kit,
        ess=ess,
        session_ttl=session_ttl,
    )


def banner(sim: SimulatorServer) -> str:
    model = sim.model
    kind = f"build {model.build}" + (" (2025 API)" if model.new_firmware else " (legacy API)")
    urls = [u for u in (sim.http_url, sim.https_url, sim.ws_url) if u]
    return (
        f"PVS simulator {model.serial}, {kind}, {model.inverters} inverters, "
        f"latency {sim.config.latency}: {' '.join(urls)} "
        f"(counters: {sim.http_url}/_sim/counters)"
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="HTTP port (0: any).")
@click.option(
    "--https-port", default=8443, show_default=True, type=int, help="HTTPS (new firmware)."
)
@click.option(
    "--ws-port", default=9002, show_default=True, type=int, help="Telemetry WebSocket port."
)
@click.option("--inverters", default=12, show_default=True, type=int)
@click.option(
    "--firmware",
    default="legacy",
    show_default=True,
    help=f"'legacy' or a build number; >= {NEW_FIRMWARE_BUILD} serves the 2025 HTTPS API.",
)
@click.option(
    "--latency", type=click.Choice(["realistic", "none"]), default="realistic", show_default=True
)
@click.option("--fault", default="none", show_default=True, help=", ".join(FAULT_MODES))
@click.option("--fault-seconds", default=None, help="Duration/delay for the fault mode.")
@click.option("--serial", default=DEFAULT_SERIAL, show_default=True)
@click.option(
    "--metering-kit/--no-metering-kit",
    default=True,
    show_default=True,
    help="Without it the consumption meter reports zeros.",
)
@click.option("--ess/--no-ess", default=False, show_default=True, help="Add SunVault devices.")
@click.option("--session-ttl", default=300.0, show_default=True, type=float)
@click.option("-v", "--verbose", is_flag=True, help="Log every request to stderr.")
def simulate(verbose: bool, **options) -> None:
    """Run a simulated PVS5/PVS6 until SIGTERM/SIGINT (see README.md).

    \b
    Examples:
      bridge-cli simulate --latency none
      bridge-cli simulate --firmware 61846 --inverters 24
      curl http://127.0.0.1:8080/cgi-bin/dl_cgi?Command=DeviceList
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    config = build_config(**options)
    sim = SimulatorServer(config)
    try:
        sim.start()
    except OSError as exc:
        raise BridgeFailure(f"simulate: cannot listen on {config.host}: {exc.strerror}") from None

    def _stop(signum, frame) -> None:
        sim.stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(banner(sim), nl=True)
    sys.stdout.flush()
    try:
        sim.wait()
    finally:
        sim.stop()
