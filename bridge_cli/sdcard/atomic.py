"""All-or-nothing writing of several files in one folder.

Every file is first written in full under a temporary name in the same folder (fsync'd),
then renamed over its target. If anything fails, temporaries are removed and targets
already replaced get their old content back, so the folder ends as it was.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from bridge_cli.errors import BridgeFailure


@dataclass(frozen=True)
class FileWrite:
    name: str
    content: bytes
    mode: int  # permission bits; ignored where the filesystem cannot store them (FAT)
    old_content: bytes | None = None  # current content, to restore on failure
    old_mode: int | None = None


def _write_temp(directory: Path, fw: FileWrite) -> Path:
    tmp = directory / f".{fw.name}.bridge-cli-{uuid.uuid4().hex[:8]}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with contextlib.suppress(OSError):  # FAT: modes cannot be stored
            os.fchmod(fd, fw.mode)
        view = memoryview(fw.content)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_all(directory: Path, files: list[FileWrite]) -> None:
    """Write every file or none. Raises BridgeFailure naming the file that failed."""
    temps: list[tuple[FileWrite, Path]] = []
    replaced: list[FileWrite] = []
    current = None
    try:
        for fw in files:
            current = fw
            temps.append((fw, _write_temp(directory, fw)))
        for fw, tmp in temps:
            current = fw
            os.replace(tmp, directory / fw.name)
            replaced.append(fw)
    except OSError as exc:
        for _fw, tmp in temps:
            with contextlib.suppress(OSError):
                tmp.unlink()
        _restore(directory, replaced)
        name = current.name if current else "?"
        raise BridgeFailure(
            f"boot-dir: could not write {name} in {directory} ({exc.strerror or exc}); "
            "the card was left as it was"
        ) from None
    _fsync_dir(directory)


def _restore(directory: Path, replaced: list[FileWrite]) -> None:
    for fw in reversed(replaced):
        target = directory / fw.name
        with contextlib.suppress(OSError):
            if fw.old_content is None:
                target.unlink()
            else:
                old = FileWrite(fw.name, fw.old_content, fw.old_mode or fw.mode)
                os.replace(_write_temp(directory, old), target)
