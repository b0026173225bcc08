"""One virtual lab: a simulated PVS, a home LAN and a booted bridge host between them.

    pvs namespace               pi namespace (nspawn guest)          home namespace
    172.27.153.1 pvs0 <--veth--> eth0  [bridge]  wlan0 <--veth--> home0 10.77.0.1
    dnsmasq, simulator                                             dnsmasq, controller side

Nothing of it is in the host namespace: clients reach lab addresses with
`ip netns exec <home-ns> ...` (see `run_home`), ssh/ansible through a ProxyCommand relay.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bridge_cli.errors import BridgeFailure
from bridge_cli.lab import (
    arch,
    capabilities,
    dhcp,
    image,
    inventory,
    machine,
    netns,
    procs,
    seed,
    waits,
)
from bridge_cli.lab import topology as topo

DEFAULT_STATE = Path("/var/lib/pvs-bridge/lab")
NSPAWN_PROPAGATE = Path("/run/systemd/nspawn/propagate")


def state_root() -> Path:
    return Path(os.environ.get("BRIDGE_LAB_STATE") or DEFAULT_STATE)


class Lab:
    """A lab by name. Construct freely: nothing happens until `up()`."""

    def __init__(
        self,
        name: str = topo.DEFAULT_NAME,
        release: str | None = None,
        inverters: int | None = None,
        firmware: str | None = None,
        latency: str = "none",
    ):
        self.name = topo.lab_name(name)
        self.names = topo.Names(self.name)
        self.state_dir = state_root() / self.name
        saved = self._saved()
        self.release = topo.release(release or saved.get("release") or topo.DEFAULT_RELEASE)
        self.inverters = inverters
        self.firmware = topo.firmware(firmware)
        self.latency = latency

    # -- names and paths --------------------------------------------------------------
    @property
    def home_ns(self) -> str:
        return self.names.home_ns

    @property
    def pvs_ns(self) -> str:
        return self.names.pvs_ns

    @property
    def pi_ns(self) -> str:
        return self.names.pi_ns

    @property
    def ssh_user(self) -> str:
        return topo.SSH_USER

    @property
    def ssh_key_path(self) -> Path:
        return self.state_dir / "id_ed25519"

    @property
    def inventory_path(self) -> Path:
        return self.state_dir / "inventory.yml"

    @property
    def ssh_config_path(self) -> Path:
        return self.state_dir / "ssh_config"

    @property
    def host_alias(self) -> str:
        return f"lab-{self.name}"

    @property
    def bridge_address(self) -> str:
        """The bridge's wlan0 address on the home LAN (its DHCP lease, else the reservation)."""
        for lease in dhcp.leases(self.state_dir, "home"):
            if lease["mac"] == topo.WLAN0_MAC:
                return lease["address"]
        return topo.BRIDGE_HOME_ADDRESS

    def _saved(self) -> dict:
        try:
            return json.loads((self.state_dir / "lab.json").read_text())
        except (OSError, ValueError):
            return {}

    # -- life cycle -------------------------------------------------------------------
    def is_up(self) -> bool:
        return any(netns.exists(ns) for ns in self.names.namespaces) or machine.running(
            self.state_dir
        )

    def up(self, log=print, timeout: float = 120.0) -> dict:
        """Build (once) and boot the lab; return its status. Cleans up fully on failure."""
        missing = capabilities.missing_capabilities()
        if missing:
            raise BridgeFailure("the lab cannot run on this machine: " + "; ".join(missing))
        if self.status()["state"] == "up":
            raise BridgeFailure(
                f"lab {self.name!r} is already up (bridge-cli lab down --name {self.name})"
            )
        self.down()  # leftovers of an interrupted or crashed run
        try:
            base = image.ensure_base(self.release, log=log)
        except RuntimeError as exc:
            raise BridgeFailure(f"building the {self.release} base image: {exc}") from exc
        started = time.monotonic()
        try:
            self._bring_up(base, log, timeout)
        except BaseException as exc:
            self.down()
            if isinstance(exc, BridgeFailure | RuntimeError | subprocess.SubprocessError):
                raise BridgeFailure(f"lab up failed, everything removed again: {exc}") from exc
            raise
        log(f"lab {self.name!r} ({self.release}) up in {time.monotonic() - started:.1f} s")
        return self.status()

    def _bring_up(self, base: Path, log, timeout: float) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o700)
        psk = inventory.new_wifi_psk()
        inventory.write_private(
            self.state_dir / "lab.json",
            json.dumps({"name": self.name, "release": self.release, "wifi_psk": psk,
                        "inverters": self.inverters, "firmware": self.firmware,
                        "created": int(time.time())}, indent=1),
        )  # fmt: skip
        upper = self.state_dir / "upper"
        upper.mkdir(exist_ok=True)
        host_pub = seed.seed_guest(base, upper, self.state_dir, self.ssh_user, self.name)
        for rel, text in arch.guest_files(self.release).items():
            seed.put(base, upper, rel, text.encode(), 0o644, 0, 0)
        netns.create(self.names)
        dhcp.start(
            dhcp.DhcpSide("pvs", self.pvs_ns, "pvs0", topo.PVS_ADDRESS, *topo.PVS_DHCP_RANGE),
            self.state_dir,
        )
        dhcp.start(
            dhcp.DhcpSide(
                "home", self.home_ns, "home0", topo.HOME_ROUTER, *topo.HOME_DHCP_RANGE,
                reservations=((topo.WLAN0_MAC, topo.BRIDGE_HOME_ADDRESS),),
            ),
            self.state_dir,
        )  # fmt: skip
        self._start_simulator(log)
        machine.start(base, self.state_dir, self.names.machine, self.pi_ns)
        self._wait_for_bridge(timeout)
        inventory.write_ssh_files(
            self.state_dir, self.host_alias, self.bridge_address, self.home_ns, host_pub
        )
        self.write_inventory()
        deadline = time.monotonic() + 30
        while True:
            result = self.ssh(["true"], capture_output=True, text=True)
            if result.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise BridgeFailure(f"ssh to the bridge failed: {result.stderr.strip()}")
            time.sleep(0.5)

    def _simulator_argv(self) -> list[str]:
        argv = [sys.executable, "-m", "bridge_cli", "simulate", "--host", topo.PVS_ADDRESS,
                "--port", "80", "--https-port", "443", "--ws-port", "9002",
                "--latency", self.latency]  # fmt: skip
        if self.inverters is not None:
            argv += ["--inverters", str(self.inverters)]
        if self.firmware:
            argv += ["--firmware", self.firmware]
        return argv

    def _start_simulator(self, log) -> None:
        procs.spawn(
            netns.exec_argv(self.pvs_ns, self._simulator_argv()),
            self.state_dir / "simulator.pid",
            self.state_dir / "simulator.log",
        )
        if not waits.tcp(self.pvs_ns, topo.PVS_ADDRESS, 80, timeout=20):
            raise BridgeFailure(
                "the PVS simulator did not start:\n" + procs.tail(self.state_dir / "simulator.log")
            )

    def _wait_for_bridge(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(
            lease["mac"] == topo.WLAN0_MAC for lease in dhcp.leases(self.state_dir, "home")
        ):
            if not procs.alive(machine.supervisor_pid(self.state_dir)):
                raise BridgeFailure(
                    "the bridge did not boot:\n" + procs.tail(self.state_dir / machine.LOG)
                )
            if time.monotonic() > deadline:
                raise BridgeFailure(
                    f"the bridge got no DHCP lease on wlan0 within {timeout:.0f} s:\n"
                    + procs.tail(self.state_dir / machine.LOG)
                )
            time.sleep(0.2)
        left = max(deadline - time.monotonic(), 5)
        if not waits.tcp(self.home_ns, self.bridge_address, 22, timeout=left, banner=True):
            raise BridgeFailure(f"the bridge's sshd did not answer on {self.bridge_address}:22")

    def down(self) -> None:
        """Stop and remove everything of this lab. Safe to call repeatedly, and after failure."""
        if os.geteuid() != 0:
            raise BridgeFailure(
                f"taking lab {self.name!r} down needs root (it stops systemd-nspawn and removes"
                " network namespaces); run it as root"
            )
        machine.stop(self.state_dir)
        procs.stop(self.state_dir / "simulator.pid", expect=" simulate ")
        for tag in ("pvs", "home"):
            dhcp.stop(self.state_dir, tag)
        netns.delete(self.names)
        propagate = NSPAWN_PROPAGATE / self.names.machine
        if propagate.is_dir():
            shutil.rmtree(propagate, ignore_errors=True)
        if self.state_dir.exists():
            shutil.rmtree(self.state_dir)

    # -- using it ---------------------------------------------------------------------
    def ssh_command(self, remote: list[str] | None = None, tty: bool = False) -> list[str]:
        """argv (host namespace) of ssh to the bridge, through the home-namespace relay."""
        argv = ["ssh", "-F", str(self.ssh_config_path)]
        argv += ["-t"] if tty else ["-T"]
        argv.append(self.host_alias)
        if remote:
            argv += ["--", *remote]
        return argv

    def ssh(self, remote: list[str], **kwargs) -> subprocess.CompletedProcess:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run(self.ssh_command(remote), **kwargs)

    def run_home(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        """Run argv in the home namespace (where the lab's clients live)."""
        return subprocess.run(netns.exec_argv(self.home_ns, argv), **kwargs)

    def write_inventory(self) -> Path:
        psk = self._saved().get("wifi_psk") or inventory.new_wifi_psk()
        return inventory.write_inventory(
            self.state_dir, self.name, self.names, self.bridge_address, psk
        )

    def status(self) -> dict:
        saved = self._saved()
        namespaces = {ns: netns.exists(ns) for ns in self.names.namespaces}
        parts = {
            "machine": machine.running(self.state_dir),
            "dnsmasq_pvs": procs.alive(dhcp.pid(self.state_dir, "pvs")),
            "dnsmasq_home": procs.alive(dhcp.pid(self.state_dir, "home")),
            "simulator": procs.alive(procs.read_pid(self.state_dir / "simulator.pid")),
        }
        if not any(namespaces.values()) and not any(parts.values()):
            state = "down"
        elif all(namespaces.values()) and parts["machine"] and parts["dnsmasq_home"]:
            state = "up"
        else:
            state = "broken"
        return {
            "name": self.name,
            "state": state,
            "release": saved.get("release", self.release),
            "namespaces": namespaces,
            "processes": parts,
            "guest_pid": machine.guest_pid(self.state_dir),
            "bridge_address": self.bridge_address if state != "down" else None,
            "pvs_address": topo.PVS_ADDRESS,
            "leases": {
                "pvs": dhcp.leases(self.state_dir, "pvs"),
                "home": dhcp.leases(self.state_dir, "home"),
            },
            "ssh_user": self.ssh_user,
            "ssh_key": str(self.ssh_key_path),
            "ssh_config": str(self.ssh_config_path),
            "inventory": str(self.inventory_path),
            "proxy_command": inventory.proxy_command(self.home_ns),
            "state_dir": str(self.state_dir),
            "base": str(image.base_path(saved.get("release", self.release))),
        }


def all_labs() -> list[str]:
    """Names of labs with a state dir or namespaces on this machine."""
    names = set()
    root = state_root()
    if root.is_dir():
        names.update(p.name for p in root.iterdir() if p.is_dir())
    if netns.NETNS_DIR.is_dir():
        for ns in netns.NETNS_DIR.iterdir():
            parts = ns.name.split("-")
            if parts[0] == topo.PREFIX and parts[-1] in ("pvs", "home", "pi") and len(parts) > 2:
                names.add("-".join(parts[1:-1]))
    return sorted(names)
