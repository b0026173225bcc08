"""Is this folder a Pi boot partition, and which Raspberry Pi OS release is on it?

The release comes from the image date in `issue.txt` (pi-gen writes
"Raspberry Pi reference YYYY-MM-DD"), refined by `cmdline.txt`: only Bullseye images run
raspi-config's init_resize.sh at first boot, which also catches "legacy" Bullseye images
published after Bookworm.
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

FIELD = "boot-dir"
BOOT_MARKERS = ("cmdline.txt", "config.txt")
ISSUE = "issue.txt"
BULLSEYE_FIRST = dt.date(2021, 10, 30)
BOOKWORM_FIRST = dt.date(2023, 10, 10)
TRIXIE_FIRST = dt.date(2025, 10, 1)
TRIXIE_CLOUD_INIT_FIRST = dt.date(2025, 11, 24)
_BULLSEYE_INIT = "init=/usr/lib/raspi-config/init_resize.sh"
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


def _bullseye_init(boot_dir: Path) -> bool:
    try:
        text = (boot_dir / cmdline_mod.NAME).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return _BULLSEYE_INIT in text.split()


def detect_release(boot_dir: Path) -> Detection:
    """The release on the card, with the evidence; BridgeInputError when it cannot tell."""
    date = image_date(boot_dir)
    bullseye_init = _bullseye_init(boot_dir)
    ask = "pass --release bullseye, bookworm or trixie"
    if date is None:
        if bullseye_init:
            return Detection("bullseye", f"no image date, but cmdline.txt has {_BULLSEYE_INIT}")
        raise BridgeInputError(
            "release", f"cannot tell the release (no image date in {ISSUE}); {ask}"
        )
    found = f"{ISSUE}: image date {date.isoformat()}"
    if date < BULLSEYE_FIRST:
        raise BridgeInputError(
            "release",
            f"{found} is older than Bullseye (Buster or earlier), which is not supported; "
            "flash a current Raspberry Pi OS image",
        )
    if bullseye_init:
        legacy = " (a legacy Bullseye image)" if date >= BOOKWORM_FIRST else ""
        return Detection("bullseye", f"{found}, cmdline.txt runs init_resize.sh{legacy}")
    if date < BOOKWORM_FIRST:
        return Detection("bullseye", found)
    if date < TRIXIE_FIRST:
        return Detection("bookworm", found)
    if date < TRIXIE_CLOUD_INIT_FIRST:
        raise BridgeInputError(
            "release",
            f"{found} is an early Trixie image that ignores cloud-init files; flash an image "
            f"from {TRIXIE_CLOUD_INIT_FIRST.isoformat()} or later (or {ask} if it is a "
            "legacy image)",
        )
    return Detection(
        "trixie",
        found,
        (
            "release: legacy Bookworm images carry such dates too; if you flashed one, "
            "pass --release bookworm",
        ),
    )


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
