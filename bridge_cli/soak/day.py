"""Run the simulated day on one lab: up, provision, clients, the events, figures, down."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bridge_cli.errors import BridgeFailure
from bridge_cli.lab import Lab, netns, procs
from bridge_cli.lab import provision as lab_provision
from bridge_cli.soak import analyze, events, guest
from bridge_cli.soak.schedule import Plan, start_offset

INVERTERS = 12
FIRST_SERVE_TIMEOUT = 120.0


@dataclass
class Options:
    plan: Plan
    lab_name: str = "soak"
    release: str = "bookworm"
    keep_lab: bool = False
    workdir: Path | None = None


class SoakLab(Lab):
    """The lab with a simulator whose day runs `scale` times faster, starting at
    midnight when it is (re)started, and whose inverters return one by one.

    Its protocol timers (the 300 s login session, the WebSocket's 10-minute close) run on
    real time, as the clients do: compressed with the day, a session lasted 300/scale s
    (4 s in a 20-minute day, 0.4 s in a quick one), less than one pypvs update through the
    bridge's one-request queue, so pypvs's one re-login and retry met an expired session
    again: errors of the soak's own making, in every calm spell (issue 14)."""

    plan: Plan | None = None

    def _simulator_argv(self) -> list[str]:
        argv = super()._simulator_argv()
        if self.plan is None:
            return argv
        step = next(
            (e.extra["return_step"] for e in self.plan.events if "return_step" in e.extra), 0
        )
        return argv + [
            "--day-scale", f"{self.plan.scale:g}", "--day-start", "00:00",
            "--inverter-return", f"{step:g}",
        ]  # fmt: skip


def restart_simulator(lab: SoakLab, log) -> None:
    """A fresh simulator whose site clock reads midnight now (the day's start)."""
    procs.stop(lab.state_dir / "simulator.pid", expect=" simulate ")
    lab._start_simulator(log)


POLLER_ADDRESSES = "10.77.0.{}"  # .201-.220: outside the home DHCP range (.100-.200)


def add_poller_addresses(lab, count: int) -> list[str]:
    """One address per legacy poller on the home LAN (each poller is a device of the
    home), added to the home namespace's home0 (they go with the namespace)."""
    addresses = [POLLER_ADDRESSES.format(201 + i) for i in range(count)]
    for address in addresses:
        subprocess.run(
            ["ip", "-n", lab.home_ns, "addr", "replace", f"{address}/24", "dev", "home0"],
            check=True,
        )
    return addresses


def _clients_argv(lab, plan: Plan, work: Path, until: float, sources: list[str]) -> list[str]:
    return netns.exec_argv(lab.home_ns, [
        sys.executable, "-m", "bridge_cli.soak.clients", lab.bridge_address,
        "--log", str(work / "requests.jsonl"), "--until", f"{until:.0f}",
        "--stop-flag", str(work / "stop"), "--newfw-flag", str(work / "newfw"),
        "--pollers", str(plan.pollers), "--interval", f"{plan.poll_interval:g}",
        "--pypvs", str(plan.pypvs_clients), "--pypvs-interval", f"{plan.pypvs_interval:g}",
        "--sources", ",".join(sources),
    ])  # fmt: skip


def _wait_served(work: Path, since: float, timeout: float, kind: str = "probe") -> float | None:
    """The end of the first answer from the PVS through the bridge after `since`."""
    deadline = time.time() + timeout
    while True:
        found = analyze.first_served_after(analyze.load(work / "requests.jsonl"), since, kind)
        if found is not None or time.time() > deadline:
            return found
        time.sleep(1)


def _counters(lab) -> dict | None:
    return guest.sim(lab, "/_sim/counters")


def _reset(lab) -> None:
    guest.sim(lab, "/_sim/counters/reset", method="POST")


def _peak(counters: dict | None) -> int | None:
    return None if counters is None else counters["concurrency"]["peak"]


def _sleep_until(t: float) -> None:
    while (left := t - time.time()) > 0:
        time.sleep(min(left, 5))


def run_day(lab: SoakLab, plan: Plan, work: Path, log) -> dict:
    """The day itself on an up, provisioned lab (clients started and stopped here)."""
    for name in ("requests.jsonl", "stop", "newfw"):
        (work / name).unlink(missing_ok=True)
    restart_simulator(lab, log)
    sources = add_poller_addresses(lab, plan.pollers)
    bound = plan.bound_seconds
    day_start = time.time()
    clients_pid = procs.spawn(
        _clients_argv(lab, plan, work, day_start + bound, sources),
        work / "clients.pid",
        work / "clients.log",
    )
    upper = lab.state_dir / "upper"
    disk_start = guest.upper_usage(upper)["bytes"]
    first = _wait_served(work, day_start, FIRST_SERVE_TIMEOUT)
    if first is None:
        raise BridgeFailure(
            "the bridge served no DeviceList within 120 s of the day's start:\n"
            + procs.tail(work / "clients.log")
        )
    log(f"soak: day started; first answer through the bridge after {first - day_start:.1f} s")
    io_start = None
    steady = io_steady = None
    timeline: list[dict] = []
    calm_peaks: list[int | None] = []
    previous_end = None
    ctx = {"newfw_flag": work / "newfw"}
    _reset(lab)
    for event in plan.events:
        begin = day_start + start_offset(plan, event, previous_end)
        _sleep_until(begin)
        calm_peaks.append(_peak(_counters(lab)))
        if io_start is None:  # after a calm spell: provisioning's after-effects are over
            io_start = (time.time(), guest.process_writes(lab))
        if event.key == "power_cut":  # the writes of normal operation end here
            steady = (time.time(), guest.upper_usage(upper)["bytes"])
            io_steady = (time.time(), guest.process_writes(lab))
        before = guest.haproxy_state(lab)
        _reset(lab)
        hour = plan.hour_at(time.time() - day_start)
        log(f"soak: {hour:05.2f} h  {event.title} ({event.seconds:g} s)")
        moments = events.ACTIONS[event.key](lab, event, ctx)
        # After the firmware update "served" means the 2025 API through the bridge: what
        # the new-firmware clients get (the probe's old API answers 403 from then on).
        kind = "pypvs" if event.key == "firmware_2025" and plan.pypvs_clients else "probe"
        served_at = _wait_served(work, moments["fault_end"], plan.recovery_limit, kind)
        window_end = served_at if served_at is not None else time.time()
        after = guest.haproxy_state(lab)
        counters = _counters(lab)
        item = {
            "key": event.key, "title": event.title, "how": event.describe(), "hour": round(hour, 2),
            "planned_hour": event.hour, "seconds": event.seconds, **moments,
            "window_end": window_end,
            "served_again_after": None if served_at is None else served_at - moments["fault_end"],
            "served_by": kind,
            "needed_hand": served_at is None,
            "peak": _peak(counters),
            "haproxy_before": before, "haproxy_after": after,
            "haproxy_restarts": guest.haproxy_restarts(
                before, after, new_boot=event.key == "power_cut"
            ),
        }  # fmt: skip
        if "power_on" in moments:
            up = _wait_served(work, moments["power_on"], 0)
            item["served_after_power_on"] = None if up is None else up - moments["power_on"]
        timeline.append(item)
        previous_end = window_end - day_start
        log(
            f"soak:        served again {item['served_again_after']!s:.5} s after the fault "
            f"ended; PVS peak {item['peak']}; haproxy restarts {item['haproxy_restarts']}"
        )
        _reset(lab)
    day_end = max(day_start + plan.day_seconds, time.time() + plan.calm_seconds)
    _sleep_until(day_end)
    calm_peaks.append(_peak(_counters(lab)))
    (work / "stop").touch()
    usage = guest.upper_usage(upper)
    if steady is None:
        steady = (time.time(), usage["bytes"])
        io_steady = (time.time(), guest.process_writes(lab))
    if io_start is None:
        io_start = io_steady
    final_haproxy = guest.haproxy_state(lab)
    deadline = time.monotonic() + 200
    while procs.alive(clients_pid) and time.monotonic() < deadline:
        time.sleep(1)
    procs.stop(work / "clients.pid", expect="bridge_cli.soak.clients")
    records = analyze.load(work / "requests.jsonl")
    summary = analyze.summarise(records, timeline, day_start, day_end)
    for item in timeline:
        if item["key"] in ("pvs_reboot",):
            item["inverters"] = analyze.inverters_back(records, item["fault_end"], INVERTERS)
    wall = time.time() - day_start
    return {
        "plan": {**asdict(plan), "scale": plan.scale},
        "day_start": day_start,
        "day_end": day_end,
        "wall_seconds": wall,
        "timeline": timeline,
        "calm_peaks": calm_peaks,
        "summary": summary,
        "haproxy_end": final_haproxy,
        "disk": {
            "upper_start": disk_start,
            "upper_end": usage["bytes"],
            "written": guest.written_since(usage["files"], day_start),
            "seconds": wall,
            "steady_bytes": steady[1] - disk_start,
            "steady_seconds": steady[0] - day_start,
            "processes": {
                **guest.writes_between(io_start[1], io_steady[1]),
                "seconds": io_steady[0] - io_start[0],
            },
        },
    }


def _commit() -> str | None:
    """The product's git commit (the roles the bridge was provisioned with)."""
    from bridge_cli.resources import PROJECT_ROOT

    try:
        proc = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "describe", "--always", "--dirty"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() or None


def run(opts: Options, log=print) -> dict:
    """Up + provision a lab, the day, down (unless keep_lab). Returns the results."""
    work = opts.workdir or Path(f"/var/lib/pvs-bridge/soak-{opts.lab_name}")
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o700)
    lab = SoakLab(opts.lab_name, opts.release, inverters=INVERTERS, latency="realistic")
    lab.plan = opts.plan
    started = time.time()
    results: dict = {
        "release": opts.release, "lab": opts.lab_name, "started": started,
        "commit": _commit(),
    }  # fmt: skip
    try:
        lab.up(log=log)
        t = time.monotonic()
        proc = lab_provision.run_playbook(lab, capture_output=True, text=True)
        results["provision_seconds"] = time.monotonic() - t
        if proc.returncode != 0:
            raise BridgeFailure("provisioning the lab bridge failed:\n" + proc.stdout[-2000:])
        log(f"soak: bridge provisioned in {results['provision_seconds']:.0f} s")
        results |= run_day(lab, opts.plan, work, log)
    finally:
        (work / "stop").touch()
        procs.stop(work / "clients.pid", expect="bridge_cli.soak.clients")
        if not opts.keep_lab:
            with contextlib.suppress(BridgeFailure):
                lab.down()
    results["total_seconds"] = time.time() - started
    (work / "results.json").write_text(json.dumps(results, indent=1, default=str))
    return results
