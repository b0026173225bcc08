"""The example Prometheus alert rules (docs/prometheus/): valid for Prometheus's own checker,
right on their unit tests, and written against metrics the bridge's real haproxy exports."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
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


# --- the rules on the real bridge's metrics -----------------------------------------------
# The role's haproxy in front of the simulator, with the PVS hung, refusing, unplugged or
# merely busy. /metrics is scraped every SPACING seconds and each scrape becomes one minute
# of the rules' time; promtool then says which alerts fire. Compressing time this way is
# fair for these rules: their windows only need a few of the check's retries each, and
# here the check retries every second and a connection the PVS ignores fails after 1 s
# (with the defaults a request caught connecting to an unplugged PVS holds the one slot
# for up to 4 x 5 s: 20 s of real time, but 13 minutes of the compressed one).
SCRAPES = 24
SPACING = 1.5
INSTANCE = "bridge:8080"
FAST_CHECKS = {
    "bridge_proxy_health_check_down_interval": "1s",
    "bridge_proxy_timeout_connect": "1s",
}


def rule_list() -> list[dict]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def scrape_minutes(bed, names: set[str]) -> dict[str, list[str]]:
    """{series: [value per scrape, "_" where absent]} of the metrics NAMES, SCRAPES times."""
    from bridge_cli.pvs.client import http_request

    series: dict[str, list[str]] = {}
    for i in range(SCRAPES):
        page = http_request(bed.address, 8080, "/metrics", timeout=10).body.decode()
        for m in re.finditer(r"^([a-z_]+)\{([^}]*)\} (\S+)$", page, re.M):
            if m.group(1) in names:
                key = f'{m.group(1)}{{job="pvs-bridge",instance="{INSTANCE}",{m.group(2)}}}'
                series.setdefault(key, ["_"] * SCRAPES)[i] = m.group(3)
        time.sleep(SPACING)
    series[f'up{{job="pvs-bridge",instance="{INSTANCE}"}}'] = ["1"] * SCRAPES
    return series


def expected_alert(rule: dict) -> dict:
    """The alert RULE raises on our one bridge: its labels are those of the expression's
    first series (haproxy_server_status of pvs_http/pvs, state DOWN) and the rule's own."""
    first = re.search(r"\{([^}]*)\}", rule["expr"]).group(1)
    labels = dict(re.findall(r'(\w+)="([^"]*)"', first)) | {"instance": INSTANCE}
    annotations = {
        k: v.replace("{{ $labels.instance }}", INSTANCE) for k, v in rule["annotations"].items()
    }
    return {"exp_labels": labels | rule["labels"], "exp_annotations": annotations}


def alerts_on(series: dict[str, list[str]], firing: set[str], tmp_path: Path) -> None:
    """promtool: at the last scrape, exactly the alerts FIRING fire, all others do not."""
    shutil.copy(RULES, tmp_path / RULES.name)
    at = f"{SCRAPES - 1}m"
    test = {
        "rule_files": [RULES.name],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": k, "values": " ".join(v)} for k, v in series.items()],
                "alert_rule_test": [
                    {
                        "eval_time": at,
                        "alertname": rule["alert"],
                        "exp_alerts": [expected_alert(rule)] if rule["alert"] in firing else [],
                    }
                    for rule in rule_list()
                ],
            }
        ],
    }
    (tmp_path / "real.test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    result = subprocess.run(
        [promtool(), "test", "rules", "real.test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def hang(bed, stack):
    bed.sim.set_fault("hang", seconds=600)
    stack.callback(bed.sim.set_fault, "none")


def refuse(bed, stack):
    bed.sim.stop()


def unplug(bed, stack):
    from harness.testbed import SilentHost

    port = dict(bed.sim.ports)["http"]
    bed.sim.stop()
    stack.enter_context(SilentHost(bed.sim.config.host, ports=(port,)))


@pytest.mark.skipif(not os.path.exists("/usr/sbin/haproxy"), reason="needs /usr/sbin/haproxy")
@pytest.mark.parametrize(
    "fault,firing,sim",
    [
        (hang, {"PvsHung"}, {}),
        (refuse, {"PvsDown"}, {}),
        (unplug, {"PvsDown"}, {}),
        # Slow DeviceList scans, no cache: the PVS is busy all the time, never down.
        (None, set(), {"fault": "slow_scan", "fault_seconds": 2.5}),
    ],
    ids=["hung", "refusing", "unplugged", "busy"],
)
def test_the_rules_tell_the_bridges_own_states_apart(fault, firing, sim, tmp_path):
    from harness.testbed import Pollers, testbed

    promtool()
    names = {name for name, _ in selectors()}
    extra = FAST_CHECKS | ({"bridge_proxy_cache": False} if not fault else {})
    with testbed(haproxy_extra=extra, **sim) as bed, contextlib.ExitStack() as stack:
        # Two clients reading all along (what a hung PVS holds).
        paths = ("/cgi-bin/dl_cgi?Command=DeviceList", "/cgi-bin/dl_cgi?Command=Get_Comm")
        stack.enter_context(Pollers([((bed.address, 80), path, None) for path in paths]))
        time.sleep(2 * SPACING)  # the PVS up and answering first
        if fault:
            fault(bed, stack)
        series = scrape_minutes(bed, names)
    alerts_on(series, firing, tmp_path)
