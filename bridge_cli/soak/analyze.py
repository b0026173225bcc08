"""From the clients' request log and the day's timeline to per-event figures (pure)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


def load(path: Path) -> list[dict]:
    records = []
    try:
        text = path.read_text()
    except OSError:
        return records
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # a line cut by the clients' end
    return records


def served(record: dict) -> bool:
    """An answer that came from the PVS through the bridge (not from the bridge's cache)."""
    return record["outcome"] in ("ok", "locked") and not record.get("cached")


def first_served_after(records: list[dict], t: float, kind: str = "probe") -> float | None:
    """The end of the first answer from the PVS that a `kind` client (the soak's probe, or
    the pypvs clients after the firmware update) started after `t`."""
    ends = [r["end"] for r in records if r["kind"] == kind and served(r) and r["start"] >= t]
    return min(ends) if ends else None


def _overlaps(record: dict, start: float, end: float) -> bool:
    return record["start"] <= end and record["end"] >= start


def tally(records: list[dict]) -> dict:
    kinds = {}
    for kind in ("legacy", "pypvs"):
        mine = [r for r in records if r["kind"] == kind]
        outcomes = Counter(r["outcome"] for r in mine)
        kinds[kind] = {
            "requests": len(mine),
            "ok": outcomes["ok"],
            "locked": outcomes["locked"],
            "errors": outcomes["error"],
            "cached": sum(1 for r in mine if r.get("cached")),
            "error_kinds": dict(
                Counter(r.get("detail", "?") for r in mine if r["outcome"] == "error")
            ),
        }
    kinds["errors"] = kinds["legacy"]["errors"] + kinds["pypvs"]["errors"]
    return kinds


def inverters_back(records: list[dict], since: float, full: int) -> dict:
    """After a PVS reboot: the fewest inverters a fresh DeviceList showed, and when (s
    after `since`) the first fresh one with all of them arrived."""
    fresh = [
        r for r in records
        if r["kind"] == "legacy" and served(r) and r["outcome"] == "ok" and r["end"] >= since
    ]  # fmt: skip
    fresh.sort(key=lambda r: r["end"])
    counts = [r.get("inverters", 0) for r in fresh]
    complete = next((r["end"] - since for r in fresh if r.get("inverters", 0) >= full), None)
    return {"fewest": min(counts) if counts else None, "all_back_after": complete}


def phases(timeline: list[dict], day_start: float, day_end: float) -> list[tuple]:
    """The calm spells between event windows: (label, start, end)."""
    out, cursor, label = [], day_start, "before the first event"
    for item in timeline:
        out.append((label, cursor, item["fault_start"]))
        cursor, label = item["window_end"], f"after {item['key']}"
    out.append((label, cursor, day_end))
    return out


def summarise(records: list[dict], timeline: list[dict], day_start: float, day_end: float):
    """Per event: inside its window and in the calm spell after it; and the whole day."""
    windows = [(t["fault_start"], t["window_end"]) for t in timeline]

    def in_any_window(r):
        return any(_overlaps(r, a, b) for a, b in windows)

    calm = phases(timeline, day_start, day_end)
    calm_tallies = [
        (label, tally([r for r in records if a <= r["start"] < b and not in_any_window(r)]))
        for label, a, b in calm
    ]
    events = []
    for i, item in enumerate(timeline):
        inside = [r for r in records if _overlaps(r, item["fault_start"], item["window_end"])]
        events.append({"inside": tally(inside), "after": calm_tallies[i + 1][1]})
    return {
        "events": events,
        "before_first": calm_tallies[0][1],
        "outside_total": sum(t["errors"] for _, t in calm_tallies),
        "day": tally(records),
    }
