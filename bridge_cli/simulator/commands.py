"""`bridge-cli simulate`: run a simulated PVS5/PVS6 in the foreground."""

from __future__ import annotations

import logging
import re
import signal
import sys
import time

import click

from bridge_cli import settings
from bridge_cli.errors import BridgeFailure, BridgeInputError
from bridge_cli.simulator.faults import FAULT_MODES, validate_mode, validate_seconds
from bridge_cli.simulator.model import (
    DEFAULT_SERIAL,
    NEW_FIRMWARE_BUILD,
    PVS5_NEW_FIRMWARE_BUILD,
    PVS_MODELS,
)
from bridge_cli.simulator.server import ListenError, SimulatorConfig, SimulatorServer

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
    return settings.pvs_serial(value, "serial")


def parse_port(value: int | str, field: str) -> int:
    return parse_int(value, field, 0, 65535) if str(value).strip() == "0" else _port(value, field)


def _port(value: int | str, field: str) -> int:
    try:
        return settings.port(value, field)
    except BridgeInputError:
        raise BridgeInputError(
            field, f"{value!r} is not a port number (1-65535, or 0 for any free port)"
        ) from None


def parse_int(value: int | str, field: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise BridgeInputError(field, f"{value!r} is not a whole number ({low}-{high})") from None
    if not low <= number <= high:
        raise BridgeInputError(field, f"must be between {low} and {high}")
    return number


def parse_seconds(value: float | str, field: str, low: float, high: float) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # also refuses nan
        raise BridgeInputError(field, f"must be between {low:g} and {high:g} seconds")
    return number


def parse_factor(value: float | str, field: str, low: float, high: float) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # also refuses nan
        raise BridgeInputError(field, f"must be a number between {low:g} and {high:g}")
    return number


def parse_model(value: str) -> str:
    text = value.strip().upper()
    if text not in PVS_MODELS:
        raise BridgeInputError("model", f"{value!r} is not allowed; use PVS6 or PVS5")
    return text


def parse_latency(value: str) -> str:
    text = value.strip().lower()
    if text not in ("realistic", "none"):
        raise BridgeInputError("latency", f"{value!r} is not allowed; use realistic or none")
    return text


def build_config(
    *,
    host: str,
    port: int | str,
    https_port: int | str,
    ws_port: int | str,
    inverters: int | str,
    firmware: str,
    latency: str,
    fault: str,
    fault_seconds: str | None,
    serial: str,
    metering_kit: bool = True,
    ess: bool = False,
    session_ttl: float | str = 300.0,
    model: str = "PVS6",
    time_scale: float | str = 1.0,
    inverter_return: float | str = 0.0,
    day_scale: float | str = 1.0,
    day_start: str | None = None,
) -> SimulatorConfig:
    """Validate the command line into a SimulatorConfig (BridgeInputError on bad input)."""
    inverters = parse_int(inverters, "inverters", 0, MAX_INVERTERS)
    session_ttl = parse_seconds(session_ttl, "session-ttl", 1, 86400)
    return SimulatorConfig(
        host=settings.ipv4_address(host, "host"),
        port=parse_port(port, "port"),
        https_port=parse_port(https_port, "https-port"),
        ws_port=parse_port(ws_port, "ws-port"),
        inverters=inverters,
        firmware=parse_firmware(firmware),
        latency=parse_latency(latency),
        fault=validate_mode(fault),
        fault_seconds=validate_seconds(fault_seconds, "fault-seconds"),
        serial=parse_serial(serial),
        metering_kit=metering_kit,
        ess=ess,
        session_ttl=session_ttl,
        pvs_model=parse_model(model),
        time_scale=parse_factor(time_scale, "time-scale", 0.001, 100000),
        inverter_return=parse_seconds(inverter_return, "inverter-return", 0, 3600),
        clock=site_clock(parse_factor(day_scale, "day-scale", 1, 100000), day_start),
    )


def site_clock(scale: float, start: str | None):
    """The site model's wall clock (sun, energy, dl_uptime): real time, or from `start`
    ("HH:MM", local time of the site's timezone today) running `scale` times faster, so
    that a soak passes a whole day of sunrise and sunset in minutes."""
    if scale == 1 and not start:
        return time.time
    origin = time.time()
    begin = origin
    if start:
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", start.strip())
        if not match:
            raise BridgeInputError("day-start", f"{start!r}: use HH:MM (00:00-23:59)")
        from datetime import datetime
        from zoneinfo import ZoneInfo

        here = datetime.fromtimestamp(origin, ZoneInfo(SimulatorConfig.timezone))
        begin = here.replace(
            hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0
        ).timestamp()

    def clock() -> float:
        return begin + (time.time() - origin) * scale

    return clock


_PORT_OPTIONS = {"http": "--port", "https": "--https-port", "ws": "--ws-port"}


def banner(sim: SimulatorServer) -> str:
    model = sim.model
    kind = f"{model.pvs_model} build {model.build}" + (
        " (2025 API)" if model.new_firmware else " (legacy API)"
    )
    urls = [u for u in (sim.http_url, sim.https_url, sim.ws_url) if u]
    return (
        f"PVS simulator {model.serial}, {kind}, {model.inverters} inverters, "
        f"latency {sim.config.latency}: {' '.join(urls)} "
        f"(counters: {sim.http_url}/_sim/counters)"
    )


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    metavar="IPV4",
    help="Address to listen on (the lab uses 172.27.153.1 inside its own namespace).",
)
@click.option(
    "--port", default="8080", show_default=True, metavar="PORT", help="HTTP port; 0: any free."
)
@click.option(
    "--https-port",
    default="8443",
    show_default=True,
    metavar="PORT",
    help="HTTPS port of the 2025 API (only with a new --firmware); 0: any free.",
)
@click.option(
    "--ws-port",
    default="9002",
    show_default=True,
    metavar="PORT",
    help="Telemetry WebSocket port (only with a new --firmware); 0: any free.",
)
@click.option(
    "--inverters",
    default="12",
    show_default=True,
    metavar="N",
    help=f"Number of micro-inverters in DeviceList (0-{MAX_INVERTERS}).",
)
@click.option(
    "--firmware",
    default="legacy",
    show_default=True,
    metavar="legacy|BUILD",
    help=f"'legacy' (open ?Command= API) or a build number; >= {NEW_FIRMWARE_BUILD} is the "
    "2025 firmware: HTTPS API with login, ?Command= answers 403.",
)
@click.option(
    "--model",
    default="PVS6",
    show_default=True,
    metavar="PVS6|PVS5",
    help=f"PVS5: no telemetry WebSocket (its switch answers 400), no BUILD in "
    f"supervisor/info; its 2025 API starts at build {PVS5_NEW_FIRMWARE_BUILD}.",
)
@click.option(
    "--time-scale",
    default="1",
    show_default=True,
    metavar="FACTOR",
    help="Run session lifetimes and the 10-minute WebSocket close this many times faster "
    "(tests that wait for an expiry); also POST /_sim/clock?advance=SECONDS.",
)
@click.option(
    "--inverter-return",
    default="0",
    show_default=True,
    metavar="SECONDS",
    help="After a reboot (fault restarting, POST /_sim/firmware) the inverters reappear in "
    "DeviceList one by one, this many seconds apart; 0: all at once.",
)
@click.option(
    "--day-scale",
    default="1",
    show_default=True,
    metavar="FACTOR",
    help="Run the site's day (sun, energy, uptime) this many times faster (soaks: 48 = a "
    "day in 30 minutes).",
)
@click.option(
    "--day-start",
    default=None,
    metavar="HH:MM",
    help="The site's local time of day when the simulator starts (default: now).",
)
@click.option(
    "--latency",
    default="realistic",
    show_default=True,
    metavar="realistic|none",
    help="realistic: DeviceList takes about 0.25 s per inverter, like a PVS; "
    "none: answer at once (tests).",
)
@click.option(
    "--fault",
    default="none",
    show_default=True,
    metavar="MODE",
    help="Start in a fault mode: " + ", ".join(FAULT_MODES) + " (see README.md; switch at "
    "run time with POST /_sim/fault?mode=MODE).",
)
@click.option(
    "--fault-seconds",
    default=None,
    metavar="N",
    help="restarting/hang: how long (default 30/300); slow: the extra delay (default 10).",
)
@click.option(
    "--serial",
    default=DEFAULT_SERIAL,
    show_default=True,
    help="Supervisor serial; its last 5 characters are the 2025 API password (ssm_owner).",
)
@click.option(
    "--metering-kit/--no-metering-kit",
    default=True,
    show_default=True,
    help="Without it the consumption meter reports zeros.",
)
@click.option("--ess/--no-ess", default=False, show_default=True, help="Add SunVault devices.")
@click.option(
    "--session-ttl",
    default="300",
    show_default=True,
    metavar="SECONDS",
    help="Lifetime of a 2025 API login session from login, not extended by use (1-86400).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every request to stderr.")
def simulate(verbose: bool, **options) -> None:
    """Run a simulated PVS5/PVS6 in the foreground until Ctrl-C or SIGTERM.

    It prints one line with its URLs. The counters of what reached the "PVS"
    are at /_sim/counters on the HTTP port. Listens on 127.0.0.1 by default.

    \b
    Examples:
      bridge-cli simulate --latency none
      curl 'http://127.0.0.1:8080/cgi-bin/dl_cgi?Command=DeviceList'
      bridge-cli simulate --firmware 61846 --inverters 24
      curl -k 'https://127.0.0.1:8443/vars?name=/sys/info/serialnum'

    More (login, faults, counters): README.md, "The PVS simulator".
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
    except ListenError as exc:
        option = _PORT_OPTIONS.get(exc.listener, "--port")
        raise BridgeFailure(
            f"simulate: cannot listen on {exc.host}:{exc.port} ({option}): {exc.strerror}; "
            f"pick another {option} (0: any free port)"
            + ("" if exc.host == "127.0.0.1" else " or a --host address of this machine")
        ) from None
    except OSError as exc:  # e.g. the certificate cache folder cannot be written
        raise BridgeFailure(f"simulate: cannot start: {exc.strerror or exc}") from None

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
