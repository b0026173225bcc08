"""Helpers shared by the doctor's tests (a module of its own, unlike conftest.py)."""

from __future__ import annotations

import datetime as dt

NIGHT = dt.datetime(2026, 6, 1, 23, 0).astimezone()


def run(bed, **kw):
    """Diagnose the bed (no SSH) at a fixed local time (night), return the Diagnosis."""
    from bridge_cli.doctor.diagnose import diagnose

    return diagnose(bed.options(**kw), local_now=NIGHT)
