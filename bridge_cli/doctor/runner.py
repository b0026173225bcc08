"""Run checks concurrently, respecting their dependencies.

A check is a function `fn(ctx) -> Finding`. `needs` lists checks that must *pass* (or be
`info`) first, otherwise this one is skipped naming the failed one; `after` lists checks
that must merely have finished (their data is read from the context). Independent checks
run at the same time in a thread pool, so the slowest chain sets the total time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from bridge_cli.doctor.findings import Finding

OK_STATUSES = ("pass", "info", "warn")


@dataclass(frozen=True)
class Check:
    id: str
    fn: Callable[[Any], Finding]
    title: str
    needs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


@dataclass
class RunResult:
    findings: list[Finding]
    seconds: float
    order: list[str] = field(default_factory=list)


def _validate(checks: list[Check]) -> None:
    ids = [c.id for c in checks]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate check ids")
    for c in checks:
        for dep in (*c.needs, *c.after):
            if dep not in ids:
                raise ValueError(f"{c.id} depends on unknown check {dep}")


def _call(check: Check, ctx: Any) -> Finding:
    start = time.monotonic()
    try:
        finding = check.fn(ctx)
    except Exception as exc:  # a bug in a check must not hide the other findings
        finding = Finding(
            check.id,
            "fail",
            f"the check itself crashed: {exc.__class__.__name__}: {exc}",
            hint="this is a bug in bridge-cli doctor; please report it with --json output",
        )
    finding.id = check.id
    finding.seconds = time.monotonic() - start
    return finding


def run_checks(checks: list[Check], ctx: Any, max_workers: int = 12) -> RunResult:
    """Run all checks; return their findings in the order the checks were given."""
    _validate(checks)
    start = time.monotonic()
    done: dict[str, Finding] = {}
    order: list[str] = []
    pending = list(checks)
    running: dict[Future, Check] = {}
    lock = threading.Lock()

    def ready(c: Check) -> bool:
        return all(d in done for d in (*c.needs, *c.after))

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="doctor") as pool:
        while pending or running:
            progressed = True
            while progressed:  # skipping one check can make its dependents ready
                progressed = False
                for c in [c for c in pending if ready(c)]:
                    progressed = True
                    pending.remove(c)
                    blocked = [d for d in c.needs if done[d].status not in OK_STATUSES]
                    if blocked:
                        dep = done[blocked[0]]
                        summary = (
                            dep.summary
                            if dep.status == "skip" and dep.summary.startswith("skipped: ")
                            else f"skipped: {dep.id} is {dep.status}"
                        )
                        done[c.id] = Finding(c.id, "skip", summary, detail=dep.summary)
                        order.append(c.id)
                        continue
                    running[pool.submit(_call, c, ctx)] = c
            if not running:
                if pending:
                    raise ValueError("dependency cycle among: " + ", ".join(c.id for c in pending))
                break
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                c = running.pop(fut)
                with lock:
                    done[c.id] = fut.result()
                    order.append(c.id)
    return RunResult([done[c.id] for c in checks], time.monotonic() - start, order)


def overall_ok(findings: list[Finding]) -> bool:
    return not any(f.status == "fail" for f in findings)


def exit_code(findings: list[Finding]) -> int:
    return 0 if overall_ok(findings) else 1
