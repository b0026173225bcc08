"""The example Prometheus alert rules (docs/prometheus/): valid for Prometheus's own checker,
right on their unit tests, and written against metrics the bridge's real haproxy exports."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bridge_cli.provision import PROJECT_ROOT

RULES_DIR = PROJECT_ROOT / "docs" / "prometheus"
RULES = RULES_DIR / "pvs-bridge.rules.yml"
FETCHED = Path(os.environ.get("BRIDGE_TOOLS_CACHE", "/var/cache/pvs-bridge/tools")) / "promtool"


def promtool() -> str:
    found = shutil.which("promtool") or (str(FETCHED) if os.access(FETCHED, os.X_OK) else None)
    if not found:
        pytest.skip("promtool not available: scripts/fetch-promtool.sh (root, apt) fetches it")
    return found


@pytest.mark.parametrize(
    "argv",
    [["check", "rules", RULES.name], ["test", "rules", "pvs-bridge.rules.test.yml"]],
    ids=["check", "unit-tests"],
)
def test_promtool_accepts_the_rules(argv):
    result = subprocess.run(
        [promtool(), *argv], cwd=RULES_DIR, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def selectors() -> list[tuple[str, dict[str, str]]]:
    """(metric, {label: value}) of every selector in the rules' expressions."""
    groups = yaml.safe_load(RULES.read_text())["groups"]
    found = []
    for rule in (r for g in groups for r in g["rules"]):
        for name, labels in re.findall(r"\b([a-z_]+)\{([^}]*)\}", rule["expr"]):
            pairs = dict(re.findall(r'(\w+)="([^"]*)"', labels))
            pairs.pop("job", None)  # set by the scrape, not by haproxy
            found.append((name, pairs))
    return found


@pytest.mark.skipif(not os.path.exists("/usr/sbin/haproxy"), reason="needs /usr/sbin/haproxy")
def test_every_metric_the_rules_use_is_exported_by_the_bridge():
    from bridge_cli.pvs.client import http_request
    from harness.testbed import testbed as loopback_bridge

    with loopback_bridge() as bed:
        http_request(bed.address, 80, "/cgi-bin/dl_cgi?Command=DeviceList", timeout=10)
        page = http_request(bed.address, 8080, "/metrics", timeout=10).body.decode()
    exported = [
        (m.group(1), dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")))
        for m in re.finditer(r"^([a-z_]+)(?:\{([^}]*)\})? ", page, re.M)
    ]
    used = [s for s in selectors() if s[0] != "up"]  # `up` is Prometheus's own
    assert len(used) >= 6
    for name, labels in used:
        assert any(n == name and labels.items() <= have.items() for n, have in exported), (
            name,
            labels,
        )
