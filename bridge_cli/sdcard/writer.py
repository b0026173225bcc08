"""Planning and applying one `sdcard write`: everything is checked before anything is written."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from bridge_cli import secrets
from bridge_cli.errors import BridgeInputError
from bridge_cli.sdcard import atomic, bookworm, bullseye, cmdline, imagefiles, manifest, trixie
from bridge_cli.sdcard.base import PUBLIC_MODE, CardInput
from bridge_cli.sdcard.config import CardSettings
from bridge_cli.sdcard.detect import BootDir

FORMATS: dict[str, ModuleType] = {"bullseye": bullseye, "bookworm": bookworm, "trixie": trixie}
PASSWORD_MASK = "<password hash hidden>"
PSK_MASK = "<WiFi PSK hidden>"


@dataclass(frozen=True)
class PlannedFile:
    name: str
    content: bytes
    mode: int
    status: str  # new | unchanged | update | template | overwrite
    old_content: bytes | None = None
    old_mode: int | None = None

    @property
    def changes(self) -> bool:
        return self.status != "unchanged"


@dataclass(frozen=True)
class Plan:
    boot_dir: Path
    release: str
    files: tuple[PlannedFile, ...]
    cmdline_before: str | None
    cmdline_after: str | None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    secrets: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    ssh_target: str = ""  # user@host.local to log in after first boot

    @property
    def changed(self) -> tuple[PlannedFile, ...]:
        return tuple(f for f in self.files if f.changes)


def _current(path: Path) -> tuple[bytes | None, int | None]:
    try:
        st = path.stat()
        return path.read_bytes(), stat.S_IMODE(st.st_mode)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise BridgeInputError("boot-dir", f"cannot read {path}: {exc.strerror}") from None


def _status(name: str, content: bytes, old: bytes | None, record: dict[str, str]) -> str:
    if old is None:
        return "new"
    if old == content:
        return "unchanged"
    if manifest.written_by_us(name, old, record):
        return "update"
    if imagefiles.is_image_template(name, old):
        return "template"  # the image's own unconfigured cloud-init template
    return "overwrite"


def plan(
    boot: BootDir,
    release: str,
    card: CardSettings,
    ssh_keys: tuple[str, ...],
    password: str,
    wifi_passphrase: str,
    force: bool = False,
) -> Plan:
    """Everything the write will do, computed without touching the card."""
    fmt = FORMATS[release]
    fmt.check_ssid(card.wifi_ssid)
    psk = secrets.wifi_psk(card.wifi_ssid, wifi_passphrase)
    previous = fmt.previous_hash(boot.path, card.user)
    password_hash = (
        previous if secrets.crypt_matches(password, previous) else secrets.crypt_sha512(password)
    )
    out = fmt.build(CardInput(card, password_hash, psk, ssh_keys))

    record = manifest.load(boot.path)
    planned: list[PlannedFile] = []
    foreign: list[str] = []
    for f in out.files:
        old, old_mode = _current(boot.path / f.name)
        status = _status(f.name, f.content, old, record)
        if status == "overwrite":
            foreign.append(f.name)
        planned.append(PlannedFile(f.name, f.content, f.mode, status, old, old_mode))
    if foreign and not force:
        one = len(foreign) == 1
        raise BridgeInputError(
            "boot-dir",
            f"{', '.join(foreign)} already exist{'s' if one else ''} in {boot.path} and "
            f"{'was' if one else 'were'} not written by bridge-cli nor the image's own "
            "template (Raspberry Pi Imager's OS customisation?); flash without it, or use "
            "--force to overwrite",
        )

    warnings = list(boot.warnings)
    before = after = None
    if boot.has_cmdline:
        cl_old, cl_mode = _current(boot.path / cmdline.NAME)
        current = cmdline.parse(cl_old or b"")
        edited = cmdline.edit(current, out.cmdline_params)
        before = " ".join(current.tokens)
        after = " ".join(edited.tokens)
        if cmdline.runs_firstrun(current):
            warnings.append(
                "cmdline.txt: Raspberry Pi Imager's firstrun.sh is set up on this card too; "
                "its settings will also apply (write the image without Imager's OS "
                "customisation to avoid two configurations)"
            )
        if edited.tokens != current.tokens:
            planned.append(
                PlannedFile(
                    cmdline.NAME, edited.render(), cl_mode or PUBLIC_MODE, "edit", cl_old, cl_mode
                )
            )
    else:
        warnings.append(
            "cmdline.txt: missing, add "
            + " ".join(out.cmdline_params.values())
            + " to the kernel command line yourself"
        )

    changed_files = {p.name: p.content for p in planned if p.changes and p.name != cmdline.NAME}
    if changed_files:
        content = manifest.render(release, changed_files, record)
        old, old_mode = _current(boot.path / manifest.NAME)
        status = "unchanged" if old == content else ("new" if old is None else "update")
        planned.insert(
            len(planned) - (1 if planned and planned[-1].name == cmdline.NAME else 0),
            PlannedFile(manifest.NAME, content, PUBLIC_MODE, status, old, old_mode),
        )

    return Plan(
        boot_dir=boot.path,
        release=release,
        files=tuple(planned),
        cmdline_before=before,
        cmdline_after=after,
        notes=out.notes,
        warnings=tuple(warnings),
        secrets=((password_hash, PASSWORD_MASK), (psk, PSK_MASK)),
        ssh_target=f"{card.user}@{fmt.boot_hostname(card)}.local",
    )


def apply(p: Plan) -> tuple[str, ...]:
    """Write the plan's changed files, all or none. Returns the names written."""
    writes = [
        atomic.FileWrite(f.name, f.content, f.mode, f.old_content, f.old_mode) for f in p.changed
    ]
    if writes:
        atomic.write_all(p.boot_dir, writes)
    return tuple(w.name for w in writes)


def mask(p: Plan, text: str) -> str:
    """`text` with every password hash and PSK of the plan replaced by a placeholder."""
    for secret, placeholder in p.secrets:
        text = text.replace(secret, placeholder)
    return text
