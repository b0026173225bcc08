"""The site's physics: PV production by time of day, household load, energy integrals.

Everything is a pure function of the time, so energy counters only grow. Production
follows a half sine between 06:00 and 18:00 local *standard* (solar) time; the load is an
hourly profile. Energies are exact integrals (closed form or a per-day table), so they are
monotonic by construction, whatever times callers ask about.
"""

from __future__ import annotations

import bisect
import datetime
import math
from functools import cache
from zoneinfo import ZoneInfo

DAY = 86400.0
SUNRISE_H, SUNSET_H = 6.0, 18.0
DAYLIGHT_H = SUNSET_H - SUNRISE_H
# kWh produced per kW of peak power over one whole day (integral of the half sine).
DAILY_KWH_PER_KWP = DAYLIGHT_H * 2 / math.pi

# Household load by local hour, kW (a typical US home: night base, morning and evening peaks).
LOAD_PROFILE_KW = (
    0.45, 0.40, 0.38, 0.38, 0.40, 0.50, 0.80, 1.20, 1.00, 0.70, 0.60, 0.65,
    0.70, 0.65, 0.70, 0.90, 1.40, 2.10, 2.40, 2.20, 1.80, 1.30, 0.90, 0.60,
)  # fmt: skip
DAILY_LOAD_KWH = sum(LOAD_PROFILE_KW)
INVERTER_NIGHT_KW = 0.0006  # what one micro-inverter draws at night (shows on the meter)


@cache
def standard_offset(timezone: str) -> float:
    """UTC offset in seconds of `timezone`'s standard time (solar time ignores DST)."""
    zone = ZoneInfo(timezone)
    jan = datetime.datetime(2021, 1, 15, 12, tzinfo=zone).utcoffset()
    jul = datetime.datetime(2021, 7, 15, 12, tzinfo=zone).utcoffset()
    assert jan is not None and jul is not None
    return min(jan, jul).total_seconds()


def local_day_hour(t: float, timezone: str) -> tuple[int, float]:
    local = t + standard_offset(timezone)
    day = math.floor(local / DAY)
    return day, (local - day * DAY) / 3600.0


def sun_fraction(t: float, timezone: str) -> float:
    """Production as a fraction of peak at time `t` (0 at night)."""
    _, hour = local_day_hour(t, timezone)
    if hour <= SUNRISE_H or hour >= SUNSET_H:
        return 0.0
    return math.sin(math.pi * (hour - SUNRISE_H) / DAYLIGHT_H)


def _partial_sun_hours(hour: float) -> float:
    h = min(max(hour, SUNRISE_H), SUNSET_H)
    return DAYLIGHT_H / math.pi * (1 - math.cos(math.pi * (h - SUNRISE_H) / DAYLIGHT_H))


def sun_hours(t: float, timezone: str) -> float:
    """Integral of `sun_fraction` from the epoch to `t`, in hours (kWh per kW peak)."""
    day, hour = local_day_hour(t, timezone)
    return day * DAILY_KWH_PER_KWP + _partial_sun_hours(hour)


def load_kw(t: float, timezone: str) -> float:
    _, hour = local_day_hour(t, timezone)
    return LOAD_PROFILE_KW[int(hour) % 24]


def load_kwh(t: float, timezone: str) -> float:
    """Household energy from the epoch to `t`."""
    day, hour = local_day_hour(t, timezone)
    whole = int(hour)
    return (
        day * DAILY_LOAD_KWH
        + sum(LOAD_PROFILE_KW[:whole])
        + LOAD_PROFILE_KW[whole] * (hour - whole)
    )


@cache
def _grid_table(peak_kw: float, night_kw: float) -> tuple[list[float], list[float], list[float]]:
    """Per-minute cumulative import/export over one day: (minutes, import_kwh, export_kwh)."""
    minutes, imported, exported = [0.0], [0.0], [0.0]
    imp = exp = 0.0
    for minute in range(1440):
        hour = (minute + 0.5) / 60.0
        sun = 0.0
        if SUNRISE_H < hour < SUNSET_H:
            sun = math.sin(math.pi * (hour - SUNRISE_H) / DAYLIGHT_H)
        produced = peak_kw * sun if sun > 0 else -night_kw
        net = LOAD_PROFILE_KW[int(hour)] - produced
        if net >= 0:
            imp += net / 60.0
        else:
            exp += -net / 60.0
        minutes.append(minute + 1.0)
        imported.append(imp)
        exported.append(exp)
    return minutes, imported, exported


def grid_kwh(t: float, timezone: str, peak_kw: float, night_kw: float) -> tuple[float, float]:
    """(imported, exported) energy from the epoch to `t` for a site of `peak_kw`."""
    minutes, imported, exported = _grid_table(round(peak_kw, 6), round(night_kw, 6))
    day, hour = local_day_hour(t, timezone)
    minute = hour * 60.0
    i = min(bisect.bisect_right(minutes, minute), 1440)
    frac = minute - minutes[i - 1]

    def at(table: list[float]) -> float:
        return table[i - 1] + (table[i] - table[i - 1]) * frac

    return day * imported[-1] + at(imported), day * exported[-1] + at(exported)
