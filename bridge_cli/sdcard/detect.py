"""Is this folder a Pi boot partition, and which Raspberry Pi OS release is on it?

The release is read from what the card's first boot will run, not from its date (legacy
images carry new dates):
- `init=/usr/lib/raspi-config/init_resize.sh` in cmdline.txt: Bullseye (raspi-config);
- `init=/usr/lib/raspberrypi-sys-mods/firstboot`: Bookworm-style first boot (custom.toml),
  also on legacy Bookworm images dated after Trixie;
- cloud-init's files (the image's templates `user-data`, `network-config`, `meta-data`, or
  `ds=nocloud` in cmdline.txt): Trixie.
The image date in issue.txt ("Raspberry Pi reference YYYY-MM-DD") only refuses images
older than Bullseye and the early Bullseye images without the user-rename service.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bridge_cli.errors import BridgeInputError
from bridge_cli.sdcard import cmdline as cmdline_mod
from bridge_cli.sdcard import imagefiles

FIELD = "boot-dir"
BOOT_MARKERS = ("cmdline.txt", "config.txt")
ISSUE = "issue.txt"
BULLSEYE_FIRST = dt.date(2021, 10, 30)
TRIXIE_FIRST = dt.date(2025, 10, 1)
TRIXIE_CLOUD_INIT_FIRST = dt.date(2025, 11, 24)
# Bullseye images without userconf-pi's rename service: userconf.txt is ignored there and
# the Pi boots with the old pi/raspberry account.
EARLY_BULLSEYE = (dt.date(2021, 10, 30), dt.date(2022, 1, 28))
FIRST_USERCONF_BULLSEYE = dt.date(2022, 4, 4)
_BULLSEYE_INIT = "init=/usr/lib/raspi-config/init_resize.sh"
_FIRSTBOOT_INIT = "init=/usr/lib/raspberrypi-sys-mods/firstboot"
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class BootDir:
    path: Path
    has_cmdline: bool
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Detection:
    release: str
    reason: str
    warnings: tuple[str, ...] = field(default=())


def check_boot_dir(path: Path, force: bool, probe: bool = True) -> BootDir:
    """BOOT_DIR must exist, be a writable folder and look like a Pi boot partition.

    `probe` creates and removes a probe file (the only check that sees a read-only mount
    as root); without it (dry runs write nothing at all) os.access() is asked instead.
    """
    if not path.exists():
        raise BridgeInputError(
            FIELD, f"{path} does not exist; give the mounted boot partition of the SD card"
        )
    if not path.is_dir():
        raise BridgeInputError(FIELD, f"{path} is not a folder; give the mounted boot partition")
    if probe:
        probe_writable(path)
    elif not os.access(path, os.W_OK):
        raise BridgeInputError(FIELD, f"{path} is not writable; mount the card read-write")
    missing = [m for m in BOOT_MARKERS if not (path / m).is_file()]
    warnings: list[str] = []
    if missing:
        if not force:
            raise BridgeInputError(
                FIELD,
                f"{path} is not a Raspberry Pi boot partition (no {' or '.join(missing)}); "
                "give the card's boot partition (often named bootfs or boot), or --force",
            )
        warnings.append(f"{FIELD}: {path} has no {' or '.join(missing)}; writing anyway (--force)")
    has_cmdline = (path / cmdline_mod.NAME).is_file()
    if not has_cmdline:
        warnings.append(
            f"{FIELD}: no cmdline.txt, so the WiFi country (and Trixie's cloud-init switch) "
            "cannot be set there"
        )
    return BootDir(path, has_cmdline, tuple(warnings))


def probe_writable(path: Path) -> None:
    """Create and remove a probe file: os.access() says yes to root on read-only mounts."""
    probe = path / f".bridge-cli-probe-{uuid.uuid4().hex[:8]}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BridgeInputError(
            FIELD, f"{path} is not writable ({exc.strerror}); mount the card read-write"
        ) from None


def image_date(boot_dir: Path) -> dt.date | None:
    try:
        text = (boot_dir / ISSUE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    m = _DATE_RE.search(text)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _cmdline_tokens(boot_dir: Path) -> tuple[str, ...]:
    try:
        text = (boot_dir / cmdline_mod.NAME).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    return tuple(text.split())


def _cloud_init_files(boot_dir: Path) -> list[str]:
    found = []
    for name in imagefiles.CLOUD_INIT_FILES:
        if (boot_dir / name).is_file():
            found.append(name)
    return found


def check_image_date(boot_dir: Path, release: str) -> None:
    """Refuse images whose first boot would ignore the files (named by their date)."""
    date = image_date(boot_dir)
    if date is None:
        return
    if date < BULLSEYE_FIRST:
        raise BridgeInputError(
            "release",
            f"{ISSUE}: image date {date.isoformat()} is older than Bullseye (Buster or "
            "earlier), which is not supported; flash a current Raspberry Pi OS image",
        )
    if release == "bullseye" and date in EARLY_BULLSEYE:
        raise BridgeInputError(
            "release",
            f"{ISSUE}: image date {date.isoformat()} is an early Bullseye image without the "
            "user-rename service: it ignores userconf.txt and would boot with pi/raspberry; "
            f"flash an image from {FIRST_USERCONF_BULLSEYE.isoformat()} or later",
        )


def detect_release(boot_dir: Path) -> Detection:
    """The release on the card, with the evidence; BridgeInputError when it cannot tell."""
    tokens = _cmdline_tokens(boot_dir)
    ask = "pass --release bullseye, bookworm or trixie"
    if _BULLSEYE_INIT in tokens:
        found = Detection("bullseye", f"cmdline.txt runs {_BULLSEYE_INIT.split('/')[-1]}")
    elif _FIRSTBOOT_INIT in tokens:
        found = Detection("bookworm", "cmdline.txt runs raspberrypi-sys-mods/firstboot")
    else:
        files = _cloud_init_files(boot_dir)
        nocloud = any(t.startswith(cmdline_mod.NOCLOUD) for t in tokens)
        if files or nocloud:
            what = ", ".join(files) if files else "ds=nocloud in cmdline.txt"
            found = Detection("trixie", f"cloud-init files: {what}")
        else:
            date = image_date(boot_dir)
            early = ""
            if date is not None and TRIXIE_FIRST <= date < TRIXIE_CLOUD_INIT_FIRST:
                early = (
                    f" (image date {date.isoformat()}: early Trixie images have no cloud-init;"
                    f" flash one from {TRIXIE_CLOUD_INIT_FIRST.isoformat()} or later)"
                )
            raise BridgeInputError(
                "release",
                "cannot tell the release: cmdline.txt has no first-boot init= and there are "
                f"no cloud-init files{early}; was the card booted already? {ask}",
            )
    check_image_date(boot_dir, found.release)
    return found


def mismatch(boot_dir: Path, release: str) -> str | None:
    """A warning when the card looks like another release than the one asked for."""
    try:
        found = detect_release(boot_dir)
    except BridgeInputError:
        return None
    if found.release == release:
        return None
    return (
        f"release: the card looks like {found.release} ({found.reason}); "
        f"writing {release} files as asked"
    )
