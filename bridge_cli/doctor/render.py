"""Show findings: a human report (colour only on a TTY) or one JSON document."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from typing import TextIO

from bridge_cli.doctor.findings import STATUSES, Finding
from bridge_cli.doctor.runner import overall_ok

_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim", "info": "cyan"}


def summary_counts(findings: list[Finding]) -> dict[str, int]:
    c = Counter(f.status for f in findings)
    return {s: c.get(s, 0) for s in STATUSES}


def to_document(findings: list[Finding], target: dict, seconds: float) -> dict:
    ok = overall_ok(findings)
    return {
        "ok": ok,
        "exit_code": 0 if ok else 1,
        "target": target,
        "seconds": round(seconds, 3),
        "counts": summary_counts(findings),
        "checks": [f.as_dict() for f in findings],
    }


def render_json(findings: list[Finding], target: dict, seconds: float, out: TextIO) -> None:
    out.write(json.dumps(to_document(findings, target, seconds), indent=2) + "\n")


def render_human(
    findings: list[Finding],
    target: dict,
    seconds: float,
    out: TextIO | None = None,
    color: bool | None = None,
) -> None:
    from rich.console import Console
    from rich.text import Text

    out = out or sys.stdout
    if color is None:  # a terminal gets colour, unless NO_COLOR is set (no-color.org)
        color = out.isatty() and not os.environ.get("NO_COLOR")
    console = Console(
        file=out,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )
    width = max(len(f.id) for f in findings) if findings else 10
    console.print(Text(f"bridge-cli doctor: {target['host']} ({target['address']})"))
    for f in findings:
        line = Text()
        line.append(f"{f.status.upper():<5}", style=_STYLE[f.status] if color else None)
        line.append(f" {f.id:<{width}}  {f.summary}")
        console.print(line)
        if f.status in ("warn", "fail"):
            if f.detail:
                console.print(Text(f"{'':<{width + 8}}detail: {f.detail}"))
            if f.hint:
                console.print(Text(f"{'':<{width + 8}}fix: {f.hint}"))
    counts = summary_counts(findings)
    parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    verdict = "OK" if overall_ok(findings) else "PROBLEMS FOUND"
    first_fail = next((f for f in findings if f.status == "fail"), None)
    console.print(Text(f"{verdict}: {parts} in {seconds:.1f} s"))
    if first_fail:
        console.print(Text(f"first failure: {first_fail.id}: {first_fail.summary}"))
