"""Small statistics helpers (pure functions, unit-tested)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The nearest-rank percentile (pct in 0..100) of values; None when empty."""
    if not values:
        return None
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0..100, not {pct}")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict:
    """count, p50, p99, min, max and mean of values (seconds stay seconds)."""
    if not values:
        return {"count": 0, "p50": None, "p99": None, "min": None, "max": None, "mean": None}
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "min": min(values),
        "max": max(values),
        "mean": sum(values) / len(values),
    }


def ms(seconds: float | None, digits: int = 2) -> str:
    """Seconds as a millisecond string for the report ('-' when unknown)."""
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.{digits}f} ms"


def secs(seconds: float | None, digits: int = 1) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.{digits}f} s"


def saving(plain: int, compressed: int) -> float:
    """How much smaller compressed is than plain, in percent."""
    if plain <= 0:
        raise ValueError("plain size must be positive")
    return 100.0 * (plain - compressed) / plain
