"""Item 4: fresh converge and immediate re-run of playbooks/site.yml on a lab bridge.

The lab's own way of running the playbook (bridge_cli.lab.provision: same argv and
environment as `bridge-cli lab provision`) plus the bench_timer callback, which records
every task's status and duration in a JSON file.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

# The play's fact gathering (skipped on a re-run when the fact cache is fresh) and the
# roles' own fact-gathering modules.
PLAY_FACTS = {"gather_facts", "setup", "ansible.builtin.gather_facts", "ansible.builtin.setup"}
FACT_ACTIONS = PLAY_FACTS | {
    "service_facts",
    "ansible.builtin.service_facts",
    "package_facts",
    "ansible.builtin.package_facts",
}
CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"


def summarize(timer: dict, wall: float, returncode: int) -> dict:
    """Counts and shares from the bench_timer document of one ansible-playbook run."""
    tasks = timer.get("tasks", [])
    by_status: dict[str, int] = {}
    for t in tasks:
        by_status[t["status"]] = by_status.get(t["status"], 0) + 1
    facts = sum(
        t["seconds"] for t in tasks if t["action"] in FACT_ACTIONS and t["status"] != "skipped"
    )
    play_facts = [t for t in tasks if t["action"] in PLAY_FACTS]
    slowest = sorted(tasks, key=lambda t: t["seconds"], reverse=True)[:5]
    stats = timer.get("stats", {})
    changed = sum(h.get("changed", 0) for h in stats.values())
    failed = sum(h.get("failures", 0) + h.get("unreachable", 0) for h in stats.values())
    return {
        "wall": wall,
        "returncode": returncode,
        "tasks": len(tasks),
        "by_status": by_status,
        "changed": changed,
        "failed": failed,
        "facts_seconds": facts,
        "facts_share_pct": 100.0 * facts / wall if wall > 0 else None,
        "play_facts_gathered": bool(play_facts),
        "play_facts_seconds": sum(t["seconds"] for t in play_facts),
        "slowest": [{"task": t["task"], "seconds": t["seconds"]} for t in slowest],
    }


def run_once(lab, workdir: Path, label: str, log=print) -> dict:
    """ansible-playbook site.yml against `lab` (started), timed; its summary."""
    from bridge_cli.lab.provision import PROJECT_ROOT, ansible_env, playbook_argv

    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / f"timer-{label}.json"
    out.unlink(missing_ok=True)
    env = ansible_env(lab.state_dir)
    env["ANSIBLE_CALLBACK_PLUGINS"] = str(CALLBACK_DIR)
    env["ANSIBLE_CALLBACKS_ENABLED"] = "bench_timer"
    env["PVS_BENCH_TIMER_OUT"] = str(out)
    argv = playbook_argv(lab.write_inventory())
    logfile = workdir / f"ansible-{label}.log"
    start = time.monotonic()
    with logfile.open("w") as stream:
        proc = subprocess.run(
            argv,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    wall = time.monotonic() - start
    timer = json.loads(out.read_text()) if out.exists() else {}
    result = summarize(timer, wall, proc.returncode)
    result["log"] = str(logfile)
    log(f"bench: {label}: exit {proc.returncode}, {wall:.1f} s, changed={result['changed']}")
    return result
