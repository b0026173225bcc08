"""Shared pytest configuration: skip the lab tests where the machine cannot run them."""

from __future__ import annotations

import pytest

from bridge_cli.lab.capabilities import missing_capabilities

pytest_plugins = ["pytester"]


def marked_lab(items):
    """The items carrying the `lab` marker. Not `"lab" in item.keywords`: keywords also
    hold the names of the test's directory and module, so every pure test under tests/lab/
    would count as a lab test and be skipped on machines without the lab."""
    return [item for item in items if item.get_closest_marker("lab") is not None]


def pytest_collection_modifyitems(config, items):
    lab_items = marked_lab(items)
    if not lab_items:
        return
    missing = missing_capabilities()
    if missing:
        reason = "virtual lab unavailable: " + "; ".join(missing)
        for item in lab_items:
            item.add_marker(pytest.mark.skip(reason=reason))
