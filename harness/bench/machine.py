"""Facts about the machine a benchmark ran on (for BENCHMARKS.md)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return "not found"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def os_release() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def facts() -> dict:
    import sys

    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    ansible = Path(sys.executable).parent / "ansible"
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_mb": mem_total_mb(),
        "os": os_release(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "haproxy": _first_line([haproxy, "-v"]),
        "ansible": _first_line([str(ansible) if ansible.exists() else "ansible", "--version"]),
        "load_start": loadavg(),
    }
