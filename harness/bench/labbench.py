"""Items 1, 5, 6 (and the lab's own compression cross-check) on a provisioned lab bridge.

Every client runs inside the lab's namespaces with `ip netns exec`: "direct" in the
bridge's own namespace (the nspawn guest shares it) straight to the simulated PVS, "through
haproxy" from the home namespace to the bridge's wlan0 address. haproxy's memory and CPU
are read from /proc of its processes in the bridge's namespace.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bridge_cli.lab import netns
from bridge_cli.lab import topology as topo
from harness import ROOT
from harness.bench import procstat, stats

SMALL = "/cgi-bin/dl_cgi?Command=Get_Comm"  # not cached by the role: every request reaches the PVS
DEVICE_LIST = "/cgi-bin/dl_cgi?Command=DeviceList"


def _python_in(ns: str, module: str, args: list[str], timeout: float) -> dict:
    argv = netns.exec_argv(ns, [sys.executable, "-m", module, *args])
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=ROOT
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{module} in {ns} failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout)


def sim_counters(lab) -> dict:
    """The lab simulator's counters, asked from the bridge's namespace."""
    code = (
        "import json,urllib.request;print(urllib.request.urlopen("
        f"'http://{topo.PVS_ADDRESS}/_sim/counters',timeout=10).read().decode())"
    )
    argv = netns.exec_argv(lab.pi_ns, [sys.executable, "-c", code])
    return json.loads(
        subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout
    )


def overhead(lab, count: int = 500, blocks: int = 5, log=print) -> dict:
    """Get_Comm direct (bridge namespace -> PVS) vs through haproxy (home -> bridge)."""
    per_block = max(1, count // blocks)
    direct: list[float] = []
    through: list[float] = []
    errors = {"direct": 0, "through": 0}
    before = sim_counters(lab)["commands"].get("Get_Comm", 0)
    for _ in range(blocks):  # alternate so background load hits both alike
        d = _python_in(
            lab.pi_ns,
            "harness.bench.probe",
            [topo.PVS_ADDRESS, "80", SMALL, "--count", str(per_block)],
            300,
        )
        t = _python_in(
            lab.home_ns,
            "harness.bench.probe",
            [lab.bridge_address, "80", SMALL, "--count", str(per_block)],
            300,
        )
        direct += d["seconds"]
        through += t["seconds"]
        errors["direct"] += d["errors"] + sum(v for k, v in d["statuses"].items() if k != "200")
        errors["through"] += t["errors"] + sum(v for k, v in t["statuses"].items() if k != "200")
    reached = sim_counters(lab)["commands"].get("Get_Comm", 0) - before
    d, t = stats.summary(direct), stats.summary(through)
    log(f"bench: overhead: direct p50 {stats.ms(d['p50'])}, through p50 {stats.ms(t['p50'])}")
    return {
        "path": SMALL,
        "direct": d,
        "through": t,
        "added_p50": t["p50"] - d["p50"],
        "added_p99": t["p99"] - d["p99"],
        "errors": errors,
        "reached_pvs": reached,  # includes both probes' warm-up requests
    }


def haproxy_pids(lab) -> list[int]:
    """haproxy's processes (master and worker) inside the bridge's namespace."""
    found = []
    for pid in netns.pids(lab.pi_ns):
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if comm == "haproxy":
            found.append(pid)
    return sorted(found)


def _per_process(pids: list[int]) -> list[dict]:
    rows = []
    for pid in pids:
        s = procstat.sample(pid)
        rows.append({"pid": pid, "rss_kb": s.rss_kb, "detail": procstat.rss_detail(pid)})
    return rows


def footprint(
    lab, pollers: int = 20, duration: float = 60.0, idle: float = 10.0, log=print
) -> dict:
    """haproxy RSS and CPU in the guest at idle, then under `pollers` DeviceList pollers."""
    pids = haproxy_pids(lab)
    if not pids:
        raise RuntimeError("no haproxy process in the bridge's namespace (not provisioned?)")
    watch = procstat.Watch(pids).start()
    time.sleep(idle)
    at_idle = watch.stop()
    processes_idle = _per_process(pids)
    watch = procstat.Watch(pids).start()
    load = _python_in(
        lab.home_ns,
        "harness.bench.pollers",
        [
            lab.bridge_address,
            "80",
            DEVICE_LIST,
            "--pollers",
            str(pollers),
            "--duration",
            str(duration),
        ],
        duration + 240,
    )
    under_load = watch.stop()
    processes_load = _per_process(pids)
    log(f"bench: footprint: idle {at_idle['rss_kb']} kB, load {under_load['peak_rss_kb']} kB")
    return {
        "pids": pids,
        "idle": at_idle,
        "load": under_load,
        "processes_idle": processes_idle,
        "processes_load": processes_load,
        "pollers": pollers,
        "duration": duration,
        "clients": {
            "requests": load["requests"],
            "errors": load["errors"],
            "latency": stats.summary(load["seconds"]),
        },
    }


def doctor(lab, runs: int = 3, unreachable: str = "10.77.0.99", log=print) -> dict:
    """`bridge-cli doctor` from the home namespace: healthy bridge (with and without the SSH
    checks) and an address on the home LAN where nothing answers (bridge switched off)."""
    from bridge_cli.lab.demo import doctor_argv

    full = doctor_argv(lab) + ["--json"]
    cases = {
        "healthy, HTTP + SSH checks": full,
        "healthy, --no-ssh": [*full[:5], "--no-ssh", "--json"],
        f"unreachable ({unreachable}, nothing there), --no-ssh": [
            *full[:4],
            unreachable,
            "--no-ssh",
            "--json",
        ],
    }
    results = {}
    for label, argv in cases.items():
        times, codes, failed = [], [], set()
        for _ in range(runs):
            start = time.monotonic()
            proc = lab.run_home(
                argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300
            )
            times.append(time.monotonic() - start)
            codes.append(proc.returncode)
            try:
                doc = json.loads(proc.stdout)
                failed |= {c["id"] for c in doc.get("checks", []) if c["status"] == "fail"}
            except ValueError:
                failed.add("(no JSON)")
        results[label] = {
            "seconds": times,
            "median": stats.percentile(times, 50),
            "exit": codes,
            "failed_checks": sorted(failed),
        }
        log(f"bench: doctor {label}: median {results[label]['median']:.2f} s, exit {codes}")
    return results
