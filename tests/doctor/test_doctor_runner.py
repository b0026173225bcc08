"""The runner: concurrency, dependencies, skip propagation, crash containment."""

from __future__ import annotations

import threading
import time

from bridge_cli.doctor.findings import Finding
from bridge_cli.doctor.runner import Check, exit_code, run_checks


def const(status, delay=0.0, log=None, name=None):
    def fn(ctx):
        if log is not None:
            log.append(("start", name, threading.current_thread().name))
        time.sleep(delay)
        return Finding("x", status, f"{status} result")

    return fn


def test_independent_checks_run_concurrently():
    barrier = threading.Barrier(3, timeout=5)

    def meet(ctx):
        barrier.wait()  # deadlocks (BrokenBarrierError -> fail) unless all three run at once
        return Finding("x", "pass", "met")

    checks = [Check(f"c{i}", meet, "t") for i in range(3)]
    result = run_checks(checks, None)
    assert [f.status for f in result.findings] == ["pass"] * 3


def test_needs_skip_and_propagate_root_cause():
    checks = [
        Check("a", const("fail"), "t"),
        Check("b", const("pass"), "t", needs=("a",)),
        Check("c", const("pass"), "t", needs=("b",)),
        Check("d", const("pass"), "t", after=("a",)),
    ]
    r = run_checks(checks, None)
    status = {f.id: f for f in r.findings}
    assert status["b"].status == "skip" and "a is fail" in status["b"].summary
    assert status["c"].status == "skip" and "a is fail" in status["c"].summary
    assert status["d"].status == "pass"  # `after` only orders, it does not gate
    assert exit_code(r.findings) == 1


def test_after_orders():
    order = []

    def rec(name):
        def fn(ctx):
            order.append(name)
            return Finding(name, "pass", "ok")

        return fn

    checks = [Check("late", rec("late"), "t", after=("early",)), Check("early", rec("early"), "t")]
    run_checks(checks, None)
    assert order == ["early", "late"]


def test_a_crashing_check_is_a_finding_not_a_traceback():
    def boom(ctx):
        raise RuntimeError("kaput")

    r = run_checks([Check("boom", boom, "t"), Check("ok", const("warn"), "t")], None)
    assert r.findings[0].status == "fail" and "kaput" in r.findings[0].summary
    assert r.findings[1].status == "warn"
    assert exit_code([r.findings[1]]) == 0


def test_catalogue_ids_are_unique_and_documented():
    from pathlib import Path

    from bridge_cli.doctor.checks import all_checks, check_ids

    ids = check_ids()
    assert len(ids) == len(set(ids))
    run_checks_ok = [c.id for c in all_checks(ssh=False)]
    assert run_checks_ok == ids
    root = Path(__file__).resolve().parents[2]
    doc = "\n".join(p.read_text() for p in [root / "README.md", *(root / "docs").glob("*.md")])
    missing = [i for i in ids if f"`{i}`" not in doc]
    assert not missing, f"check ids not documented in README.md or docs/: {missing}"
