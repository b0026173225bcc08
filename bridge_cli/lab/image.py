"""Base root filesystems of the lab's bridge: built once with debootstrap, then cached.

A base is keyed by release and its RECIPE_VERSION (bump a release's number whenever the
recipe below changes for it),
lives outside the repository (BRIDGE_LAB_CACHE, default /var/cache/pvs-bridge/lab) and is
never written to after it is complete: each lab boots it on an overlay.

The base looks like a Raspberry Pi OS Lite image of the same release after first boot: a
user (`bridge`) with passwordless sudo, openssh-server, the release's network stack in its
default state (bullseye: dhcpcd5 + wpa_supplicant; bookworm: NetworkManager; trixie:
netplan + NetworkManager) with DHCP on eth0 and wlan0, python3 and python3-apt, no haproxy.
The packages the roles install are left as .debs in /var/cache/apt/archives, with the apt
lists kept, so the roles' apt tasks run for real without network.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from pathlib import Path

from bridge_cli import settings
from bridge_cli.lab import arch
from bridge_cli.lab import topology as topo
from bridge_cli.lab.mirror import debian_mirror

RECIPE_VERSION = {"bullseye": "3", "bookworm": "3", "trixie": "4"}
DEFAULT_CACHE = Path("/var/cache/pvs-bridge/lab")
COMPLETE_MARK = ".pvs-bridge-lab-base"

BASE_PACKAGES = (
    "systemd,systemd-sysv,dbus,libpam-systemd,systemd-timesyncd,python3,python3-apt,"
    "iproute2,iputils-ping,procps,less,sudo,openssh-server,curl,ca-certificates,tzdata,"
    "netbase"
)

NETWORK_PACKAGES = {
    "bullseye": "dhcpcd5,wpasupplicant",
    "bookworm": "network-manager,wpasupplicant",
    "trixie": "network-manager,netplan.io,wpasupplicant",
}

# Left as .debs in the guest's apt cache (download only): what the roles install.
OFFLINE_PACKAGES = (
    "haproxy",
    "avahi-daemon",
    "avahi-utils",
    "libnss-mdns",
    "locales",
    "nftables",
    "unattended-upgrades",
)
# Downloaded on their own: they conflict with what the base has installed.
OFFLINE_ALTERNATIVES = ("chrony",)

NM_WLAN0_PROFILE = """\
# pvs-bridge lab: stand-in for the profile Raspberry Pi Imager writes for the WiFi.
# The lab's wlan0 is a veth (no radio), so the profile is wired; metric 600 is
# NetworkManager's default for WiFi, so the routes rank as on a real Pi.
[connection]
id=preconfigured
type=ethernet
interface-name=wlan0
autoconnect=true

[ethernet]

[ipv4]
method=auto
route-metric=600

[ipv6]
method=ignore
"""

NETPLAN_LAB = """\
# pvs-bridge lab: stands for what cloud-init writes from Raspberry Pi Imager's
# network-config on trixie (cloud-init itself does not run in the lab).
# wlan0 is a veth in the lab (no radio), so it is declared under ethernets.
network:
  version: 2
  renderer: NetworkManager
  ethernets:
    eth0:
      dhcp4: true
      optional: true
    wlan0:
      dhcp4: true
      optional: true
      dhcp4-overrides:
        route-metric: 600
"""

DHCPCD_NODEV = """\
# pvs-bridge lab: there is no udev in a container; without --nodev dhcpcd finds
# "no valid interfaces". On a real Pi this drop-in is not needed.
[Service]
ExecStart=
ExecStart=/usr/sbin/dhcpcd -q -b --nodev
"""


def cache_root() -> Path:
    return Path(os.environ.get("BRIDGE_LAB_CACHE") or DEFAULT_CACHE)


def base_path(release: str, root: Path | None = None) -> Path:
    # A foreign guest (BRIDGE_LAB_ARCH=armhf) has its own base: bookworm-armhf-r3.
    flavour = f"{release}-{arch.guest_arch()}" if arch.is_foreign() else release
    return (root or cache_root()) / f"{flavour}-r{RECIPE_VERSION[release]}"


def is_complete(path: Path) -> bool:
    return (path / COMPLETE_MARK).is_file()


def ensure_base(release: str, log=print, root: Path | None = None) -> Path:
    """Return the cached base of `release`, building it first if needed (locked)."""
    topo.release(release)
    path = base_path(release, root)
    if arch.is_foreign():  # building and booting both run the guest's binaries
        arch.enable_binfmt()
    if is_complete(path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_complete(path):
            return path
        if path.exists():  # an incomplete leftover from an interrupted build
            shutil.rmtree(path)
        building = path.parent / f".{path.name}.building"
        if building.exists():
            shutil.rmtree(building)
        started = time.monotonic()
        log(f"building the {path.name} base image once (debootstrap; a few minutes) ...")
        try:
            _debootstrap(release, building)
            _customize(release, building)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        (building / COMPLETE_MARK).write_text(
            f"release={release}\nrecipe={RECIPE_VERSION[release]}\nbuilt={int(time.time())}\n"
        )
        building.rename(path)
        log(f"base image {path} ready in {time.monotonic() - started:.0f} s")
    return path


def _run(argv: list[str], what: str, env: dict | None = None) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{tail}")


def _debootstrap(release: str, target: Path) -> None:
    mirror = debian_mirror()
    include = f"{BASE_PACKAGES},{NETWORK_PACKAGES[release]}"
    _run(
        ["debootstrap", "--variant=minbase", f"--include={include}", "--components=main",
         f"--arch={arch.guest_arch()}", release, str(target), mirror],
        f"debootstrap {release} from {mirror} (the first `lab up` of a release downloads"
        " from this Debian mirror; BRIDGE_LAB_MIRROR sets another)",
    )  # fmt: skip


def chroot_argv(root: Path, script: str) -> list[str]:
    """Run a shell script in `root` with systemd-nspawn (no boot, the host's network)."""
    return [
        "systemd-nspawn", "--register=no", "--keep-unit", "-q", "-D", str(root),
        "--resolv-conf=replace-host", "--timezone=off", "--link-journal=no",
        "-E", "DEBIAN_FRONTEND=noninteractive", "/bin/sh", "-ec", script,
    ]  # fmt: skip


def nspawn_env() -> dict:
    # No host systemd here: skip nspawn's image locking so several labs share one base.
    return {**os.environ, "SYSTEMD_NSPAWN_LOCK": "0"}


def _customize(release: str, root: Path) -> None:
    mirror = debian_mirror()
    user = topo.SSH_USER
    offline = " ".join(OFFLINE_PACKAGES)
    alternatives = "\n".join(
        f"apt-get install -y -q -d --no-install-recommends {p}" for p in OFFLINE_ALTERNATIVES
    )
    script = f"""
echo 'deb {mirror} {release} main' > /etc/apt/sources.list
apt-get update -q
apt-get install -y -q -d --no-install-recommends {offline}
{alternatives}
useradd -m -s /bin/bash -G sudo,adm,users {user}
usermod -p '*' {user}
echo '{user} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/010_pi-nopasswd
chmod 0440 /etc/sudoers.d/010_pi-nopasswd
install -d -m 0700 -o {user} -g {user} /home/{user}/.ssh
rm -f /etc/ssh/ssh_host_*
systemctl enable ssh
echo raspberrypi > /etc/hostname
printf '127.0.0.1\\tlocalhost\\n127.0.1.1\\traspberrypi\\n' > /etc/hosts
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
"""
    _run(chroot_argv(root, script), f"customizing the {release} base", env=nspawn_env())
    _network_stack(release, root)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


# The systemd unit of each network stack (netplan renders for NetworkManager on Trixie).
STACK_UNITS = {"dhcpcd": "dhcpcd", "networkmanager": "NetworkManager", "netplan": "NetworkManager"}
NETWORK_UNITS = {r: STACK_UNITS[s] for r, s in settings.RELEASE_NETWORK_STACK.items()}


def _network_stack(release: str, root: Path) -> None:
    _run(
        chroot_argv(root, f"systemctl enable {NETWORK_UNITS[release]}"),
        f"enabling the {release} network stack",
        env=nspawn_env(),
    )
    if release == "bullseye":
        _write(root / "etc/systemd/system/dhcpcd.service.d/lab-nodev.conf", DHCPCD_NODEV)
    elif release == "bookworm":
        _write(
            root / "etc/NetworkManager/system-connections/preconfigured.nmconnection",
            NM_WLAN0_PROFILE,
            0o600,
        )
    elif release == "trixie":
        _write(root / "etc/netplan/50-cloud-init.yaml", NETPLAN_LAB, 0o600)
