"""What the doctor remembers about each PVS between runs (a private JSON file).

The file lives in the doctor's state directory (~/.cache/pvs-bridge/doctor, 0700) as
history.json (0600), keyed by a digest of the PVS serial: the serial's last 5 characters
are the PVS's password, so it is never stored. Each PVS has named records (the inverter
baseline, the firmware first seen); a check reads its record and hands back the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

FILE = "history.json"


def pvs_key(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def _read(state_dir: Path) -> dict:
    try:
        data = json.loads((state_dir / FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load(state_dir: Path | None, key: str, record: str) -> dict | None:
    if state_dir is None:
        return None
    entry = _read(state_dir).get(key)
    value = entry.get(record) if isinstance(entry, dict) else None
    return value if isinstance(value, dict) else None


def save(state_dir: Path | None, key: str, record: str, value: dict | None) -> None:
    """Store (or with None, forget) one record; atomic, private; errors are not fatal."""
    if state_dir is None:
        return
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = _read(state_dir)
        entry = data.get(key) if isinstance(data.get(key), dict) else {}
        if value is None:
            entry.pop(record, None)
        else:
            entry[record] = value
        data[key] = entry
        path = state_dir / FILE
        tmp = path.with_name(f".{FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(data, sort_keys=True))
        tmp.replace(path)
    except OSError:
        pass
