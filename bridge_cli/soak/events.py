"""The day's faults, done to the lab from outside (never from inside the bridge).

Each `do_<key>(lab, event, ctx)` causes its fault, waits it out, undoes it and returns
the moments (epoch s): `fault_start`, `fault_end` (the world is whole again: PVS back,
link up, DHCP answering) and whatever else it knows (`power_on`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from bridge_cli.errors import BridgeFailure
from bridge_cli.lab import dhcp, image, machine, netns, procs
from bridge_cli.lab import topology as topo
from bridge_cli.soak import guest

PVS_BACK_TIMEOUT = 120.0


def _sim_post(lab, path: str) -> None:
    if guest.sim(lab, path, method="POST") is None:
        raise BridgeFailure(f"the lab's simulator did not take POST {path}")


def _pvs_back(lab, start: float) -> dict:
    """Wait until the simulated PVS answers again with no fault."""
    if guest.wait_sim(lab, PVS_BACK_TIMEOUT) is None:
        raise BridgeFailure(f"the simulated PVS did not come back within {PVS_BACK_TIMEOUT} s")
    return {"fault_start": start, "fault_end": time.time()}


def do_pvs_reboot(lab, event, ctx) -> dict:
    start = time.time()
    _sim_post(lab, f"/_sim/fault?mode=restarting&seconds={event.seconds:g}")
    return _pvs_back(lab, start)


def do_hung_cgi(lab, event, ctx) -> dict:
    start = time.time()
    _sim_post(lab, f"/_sim/fault?mode=hang&seconds={event.seconds:g}")
    time.sleep(event.seconds)
    _sim_post(lab, "/_sim/fault?mode=none")  # releases what still hangs (dropped)
    return {"fault_start": start, "fault_end": time.time()}


def do_slow_devicelist(lab, event, ctx) -> dict:
    start = time.time()
    _sim_post(lab, f"/_sim/fault?mode=slow_scan&seconds={event.extra['delay']:g}")
    time.sleep(event.seconds)
    _sim_post(lab, "/_sim/fault?mode=none")  # a DeviceList already waiting still takes long
    return {"fault_start": start, "fault_end": time.time()}


def do_firmware_2025(lab, event, ctx) -> dict:
    start = time.time()
    _sim_post(lab, f"/_sim/firmware?build={event.extra['build']}&seconds={event.seconds:g}")
    result = _pvs_back(lab, start)
    ctx["newfw_flag"].touch()  # the new-firmware clients start now
    return result


def _link(ns: str, dev: str, state: str) -> None:
    subprocess.run(["ip", "-n", ns, "link", "set", dev, state], check=True)


def do_wifi_down(lab, event, ctx) -> dict:
    start = time.time()
    _link(lab.home_ns, "home0", "down")
    try:
        time.sleep(event.seconds)
    finally:
        _link(lab.home_ns, "home0", "up")
    return {"fault_start": start, "fault_end": time.time()}


def power_off_hard(lab) -> None:
    """Pull the plug: SIGKILL the supervisor, nspawn and the guest's PID 1 (which takes
    every process of the guest with it); nothing in the guest gets to shut down. nspawn
    killed alone would leave the guest running, orphaned. The bridge's interfaces live in
    a namespace that outlives the guest, so their addresses are flushed and the links set
    down, as a powered-off Pi's NICs lose theirs."""
    state = lab.state_dir
    guest_pid = machine.guest_pid(state)
    for pid in (
        machine.supervisor_pid(state),
        procs.read_pid(state / machine.NSPAWN_PID),
        guest_pid,
    ):
        if procs.alive(pid):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while netns.pids(lab.pi_ns) and time.monotonic() < deadline:
        time.sleep(0.2)
    if netns.pids(lab.pi_ns):
        raise BridgeFailure("the guest's processes did not end after SIGKILL")
    for name in (machine.SUPERVISOR_PID, machine.NSPAWN_PID):
        (state / name).unlink(missing_ok=True)
    for dev in ("eth0", "wlan0"):
        subprocess.run(["ip", "-n", lab.pi_ns, "addr", "flush", "dev", dev], check=False)
        _link(lab.pi_ns, dev, "down")


def pvs_dhcp_side(lab) -> dhcp.DhcpSide:
    return dhcp.DhcpSide("pvs", lab.pvs_ns, "pvs0", topo.PVS_ADDRESS, *topo.PVS_DHCP_RANGE)


def do_power_cut(lab, event, ctx) -> dict:
    start = time.time()
    power_off_hard(lab)
    dhcp.stop(lab.state_dir, "pvs")  # the PVS does not answer DHCP yet
    try:
        time.sleep(event.seconds)
        machine.start(image.base_path(lab.release), lab.state_dir, lab.names.machine, lab.pi_ns)
        power_on = time.time()
        time.sleep(event.extra["dhcp_delay"])
    finally:
        dhcp.start(pvs_dhcp_side(lab), lab.state_dir)
    return {"fault_start": start, "fault_end": time.time(), "power_on": power_on}


ACTIONS = {
    "pvs_reboot": do_pvs_reboot,
    "hung_cgi": do_hung_cgi,
    "slow_devicelist": do_slow_devicelist,
    "firmware_2025": do_firmware_2025,
    "wifi_down": do_wifi_down,
    "power_cut": do_power_cut,
}
