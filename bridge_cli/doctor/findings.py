"""What a check reports: one Finding, with a status, a one-line summary, a detail and a fix.

Stdlib only: the collection carries a copy (the on-bridge checks run on the Pi too).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

STATUSES = ("pass", "warn", "fail", "skip", "info")


@dataclass
class Finding:
    id: str
    status: str
    summary: str
    detail: str = ""
    hint: str = ""
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        return d


def passed(id: str, summary: str, detail: str = "") -> Finding:
    return Finding(id, "pass", summary, detail)


def warn(id: str, summary: str, hint: str, detail: str = "") -> Finding:
    return Finding(id, "warn", summary, detail, hint)


def fail(id: str, summary: str, hint: str, detail: str = "") -> Finding:
    return Finding(id, "fail", summary, detail, hint)


def skip(id: str, summary: str, detail: str = "") -> Finding:
    return Finding(id, "skip", summary, detail)


def info(id: str, summary: str, detail: str = "") -> Finding:
    return Finding(id, "info", summary, detail)


def human_seconds(s: float) -> str:
    """A duration as people say it: 45 s, 12 min, 3.5 h, 2.0 days."""
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"
