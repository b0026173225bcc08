"""The doctor as a function: validated options in, findings out (the CLI is a thin shell)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bridge_cli.doctor.checks import all_checks
from bridge_cli.doctor.context import Context, DoctorOptions
from bridge_cli.doctor.findings import Finding
from bridge_cli.doctor.runner import RunResult, run_checks


@dataclass
class Diagnosis:
    options: DoctorOptions
    result: RunResult

    @property
    def findings(self) -> list[Finding]:
        return self.result.findings

    @property
    def target(self) -> dict:
        o = self.options
        return {
            "host": o.host,
            "address": o.address,
            "port": o.port,
            "https_port": o.https_port,
            "stats_port": o.stats_port,
            "ssh": o.ssh,
        }

    def finding(self, check_id: str) -> Finding:
        return next(f for f in self.findings if f.id == check_id)


def default_state_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pvs-bridge" / "doctor"


def diagnose(options: DoctorOptions, **context_data) -> Diagnosis:
    ctx = Context(options)
    for k, v in context_data.items():
        ctx.put(k, v)
    result = run_checks(all_checks(ssh=options.ssh), ctx)
    return Diagnosis(options, result)
