"""Running the first-boot software of each release on what `sdcard write` puts on a card.

- Trixie: a copy of the lab's cached trixie debootstrap base with Debian's cloud-init,
  netplan.io and NetworkManager, made to look like a Trixie image (user `pi`, uid 1000,
  locked, shell nologin as in 2026 images; the NoCloud datasource reading the boot
  partition, as pi-gen's stage2 cloud-init step configures it). Built once, cached next to
  the lab's bases and locked like them; each test boots nothing, it runs cloud-init's
  stages in a throw-away overlay with systemd-nspawn (no network).
- Bookworm / Bullseye: the host's own packages (Debian 12): python3-toml, libnm through
  python3-gi (gir1.2-nm-1.0), wpa_supplicant and wpa_passphrase.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge_cli.lab import image as lab_image

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with python3-toml and python3-gi
HERE = Path(__file__).resolve().parent
NM_READER = HERE / "nm_keyfile_read.py"

CLOUDINIT_RECIPE = "1"
CLOUDINIT_PACKAGES = "cloud-init netplan.io network-manager"
# What pi-gen's stage2 cloud-init step installs as /etc/cloud/cloud.cfg.d/99_raspberry-pi.cfg
# (RPi-Distro/pi-gen, stage2/04-cloud-init/files/99_raspberry-pi.cfg): NoCloud, seeded from
# the boot partition, host keys left to the image's own first-boot service.
DATASOURCE_CFG = """\
# pvs-bridge test image: cloud-init reads the card's boot partition, as on Trixie images.
datasource_list: [ NoCloud, None ]
datasource:
  NoCloud:
    seedfrom: file:///boot/firmware/
ssh_deletekeys: false
ssh_genkeytypes: []
"""


def skip_unless(condition: bool, reason: str) -> None:
    if not condition:
        pytest.skip(reason)


def require_root_nspawn() -> None:
    skip_unless(os.geteuid() == 0, "needs root (systemd-nspawn)")
    for tool in ("systemd-nspawn", "debootstrap", "rsync"):
        skip_unless(shutil.which(tool) is not None, f"needs {tool} (make system-deps)")


def require_system_python(*modules: str) -> None:
    skip_unless(Path(SYSTEM_PYTHON).exists(), f"needs {SYSTEM_PYTHON} (Debian's python3)")
    code = "; ".join(
        f"import {m}"
        if m != "NM"
        else "import gi; gi.require_version('NM', '1.0'); from gi.repository import NM"
        for m in modules
    )
    r = subprocess.run([SYSTEM_PYTHON, "-c", code], capture_output=True, text=True)
    skip_unless(
        r.returncode == 0,
        f"needs Debian's {', '.join(modules)} for {SYSTEM_PYTHON} (make system-deps)",
    )


def _nspawn(root: Path, script: str, *extra: str, timeout: int = 900) -> None:
    argv = lab_image.chroot_argv(root, script)
    if extra:
        argv[1:1] = list(extra)
    r = subprocess.run(
        argv, capture_output=True, text=True, env=lab_image.nspawn_env(), timeout=timeout
    )
    if r.returncode != 0:
        tail = "\n".join((r.stdout + r.stderr).splitlines()[-15:])
        raise RuntimeError(f"nspawn in {root} failed ({r.returncode}):\n{tail}")


def trixie_cloudinit_image(log=print) -> Path:
    """The cached trixie + cloud-init root, built on first use (a few minutes, locked)."""
    base = lab_image.ensure_base("trixie", log=log)
    root = lab_image.cache_root()
    path = root / f"trixie-cloudinit-r{CLOUDINIT_RECIPE}-b{lab_image.RECIPE_VERSION['trixie']}"
    if lab_image.is_complete(path):
        return path
    with open(root / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if lab_image.is_complete(path):
            return path
        building = root / f".{path.name}.building"
        for leftover in (path, building):
            if leftover.exists():
                shutil.rmtree(leftover)
        started = time.monotonic()
        log("building the trixie cloud-init test image once (apt; a few minutes) ...")
        try:
            subprocess.run(
                ["rsync", "-a", "--exclude=/var/cache/apt/archives/*.deb",
                 f"{base}/", f"{building}/"],
                check=True, capture_output=True,
            )  # fmt: skip
            _nspawn(
                building,
                f"apt-get update -q\n"
                f"apt-get install -y -q --no-install-recommends {CLOUDINIT_PACKAGES}\n"
                "apt-get clean\n"
                # look like a Trixie image: user pi (uid 1000) exists, locked, no login shell
                "userdel -r bridge 2>/dev/null || true\n"
                "rm -f /etc/sudoers.d/010_pi-nopasswd /etc/netplan/50-cloud-init.yaml\n"
                "useradd -m -u 1000 -s /usr/sbin/nologin -G sudo,adm,users pi\n"
                "mkdir -p /boot/firmware\n",
            )
            cfg = building / "etc/cloud/cloud.cfg.d/99_raspberry-pi.cfg"
            cfg.write_text(DATASOURCE_CFG)
            (building / lab_image.COMPLETE_MARK).write_text(
                f"trixie-cloudinit recipe={CLOUDINIT_RECIPE} built={int(time.time())}\n"
            )
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        building.rename(path)
        log(f"trixie cloud-init image {path} ready in {time.monotonic() - started:.0f} s")
    return path


# Inside the container: cloud-init's schema check, its first-boot stages (local, then
# network: users, bootcmd; then config), netplan generate; what is read back lands in /out.
_CLOUD_INIT_SCRIPT = """\
cd /out
run() { name=$1; shift; "$@" > "$name.log" 2>&1; echo $? > "$name.rc"; }
run schema cloud-init schema --config-file /boot/firmware/user-data
run local cloud-init init --local
run init cloud-init init
run netplan netplan generate
run status cloud-init status --long
cp /var/log/cloud-init.log .
# config stage: runcmd's script and ssh_pwauth's sshd_config line (its ssh restart needs
# systemd, which the container does not run: that module's failure is not asserted on)
run config cloud-init modules --mode=config
mkdir -p nm
cp /run/NetworkManager/system-connections/* nm/ 2>/dev/null
cp /run/systemd/system/netplan-regdom.service . 2>/dev/null
cp /etc/passwd /etc/shadow /etc/hostname .
cp -r /etc/sudoers.d sudoers.d
cp -r /etc/netplan netplan-yaml
cp /var/lib/cloud/instance/scripts/runcmd runcmd 2>/dev/null
# Debian's sshd_config includes sshd_config.d/*.conf first; sshd keeps the first value
cat /etc/ssh/sshd_config.d/*.conf /etc/ssh/sshd_config > sshd_config 2>/dev/null
exit 0
"""


@dataclass
class CloudInitRun:
    out: Path

    def rc(self, stage: str) -> int:
        return int((self.out / f"{stage}.rc").read_text())

    def log(self, stage: str) -> str:
        return (self.out / f"{stage}.log").read_text(errors="replace")

    def text(self, name: str) -> str:
        return (self.out / name).read_text(errors="replace")

    def sshd_password_auth(self) -> str:
        """The effective PasswordAuthentication (sshd takes the first one it reads)."""
        for line in self.text("sshd_config").splitlines():
            words = line.split()
            if len(words) == 2 and words[0].lower() == "passwordauthentication":
                return words[1]
        return "yes"  # sshd's default

    def keyfiles(self) -> list[Path]:
        return sorted((self.out / "nm").glob("*.nmconnection"))


def run_cloud_init(image: Path, boot_dir: Path, work: Path) -> CloudInitRun:
    """cloud-init over the card's files as a Trixie image finds them at first boot.

    The card's boot files go to /boot/firmware in an overlay of the image. In a container
    cloud-init reads the kernel command line from /proc/1/cmdline, so the card's
    cmdline.txt words (ds=nocloud;i=..., cfg80211...) are given as arguments to PID 1.
    """
    upper, out = work / "upper", work / "out"
    (upper / "boot/firmware").mkdir(parents=True)
    out.mkdir()
    for f in boot_dir.iterdir():
        if f.is_file():
            shutil.copy2(f, upper / "boot/firmware" / f.name)
    words = (boot_dir / "cmdline.txt").read_text().split()
    argv = [
        "systemd-nspawn", "--register=no", "--keep-unit", "-q", "-D", str(image),
        f"--overlay=+/:{upper}:/", f"--bind={out}:/out", "--private-network",
        "--resolv-conf=off", "--timezone=off", "--link-journal=no",
        "/bin/sh", "-c", _CLOUD_INIT_SCRIPT, "sh", *words,
    ]  # fmt: skip
    r = subprocess.run(
        argv, capture_output=True, text=True, env=lab_image.nspawn_env(), timeout=180
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return CloudInitRun(out)


def nm_read(path: Path) -> dict:
    """A NetworkManager keyfile as libnm reads it (NM.keyfile_read, Debian's gir1.2-nm-1.0)."""
    r = subprocess.run(
        [SYSTEM_PYTHON, str(NM_READER), str(path)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def toml_load(path: Path) -> dict:
    """custom.toml as Debian's python3-toml reads it (what init_config uses: toml.load)."""
    code = "import json, sys, toml; print(json.dumps(toml.load(sys.argv[1])))"
    r = subprocess.run(
        [SYSTEM_PYTHON, "-c", code, str(path)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)
