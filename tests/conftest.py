"""Shared pytest configuration: skip the lab tests where the machine cannot run them."""

from __future__ import annotations

import pytest

from bridge_cli.lab.capabilities import missing_capabilities


def pytest_collection_modifyitems(config, items):
    lab_items = [item for item in items if "lab" in item.keywords]
    if not lab_items:
        return
    missing = missing_capabilities()
    if missing:
        reason = "virtual lab unavailable: " + "; ".join(missing)
        for item in lab_items:
            item.add_marker(pytest.mark.skip(reason=reason))
