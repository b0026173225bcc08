"""Resident memory and CPU time of a process from /proc (Linux)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Sample:
    rss_kb: int
    cpu_seconds: float  # user + system since the process started
    at: float  # time.monotonic() of the sample


def parse_status_rss(text: str) -> int:
    """VmRSS in kB from the text of /proc/<pid>/status."""
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError("no VmRSS line (kernel thread or process gone)")


def parse_stat_cpu(text: str, ticks: int = TICKS) -> float:
    """utime + stime in seconds from the text of /proc/<pid>/stat."""
    fields = text.rpartition(")")[2].split()  # after "(comm)", which may hold spaces
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / ticks


def sample(pid: int, proc: Path = Path("/proc")) -> Sample:
    status = (proc / str(pid) / "status").read_text()
    stat = (proc / str(pid) / "stat").read_text()
    return Sample(parse_status_rss(status), parse_stat_cpu(stat), time.monotonic())


def sample_many(pids: list[int]) -> Sample:
    """The sum over several processes (haproxy master + worker)."""
    samples = [sample(p) for p in pids]
    return Sample(
        sum(s.rss_kb for s in samples), sum(s.cpu_seconds for s in samples), time.monotonic()
    )


def cpu_percent(before: Sample, after: Sample) -> float:
    """CPU used between two samples, in percent of one core."""
    elapsed = after.at - before.at
    if elapsed <= 0:
        return 0.0
    return 100.0 * (after.cpu_seconds - before.cpu_seconds) / elapsed


class Watch:
    """Peak RSS and average CPU of pids between start() and stop(), polled in a thread."""

    def __init__(self, pids: list[int], interval: float = 0.5):
        import threading

        self.pids = pids
        self.interval = interval
        self.peak_rss_kb = 0
        self.first: Sample | None = None
        self.last: Sample | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="bench-procwatch")

    def _run(self) -> None:
        while True:
            try:
                s = sample_many(self.pids)
            except (OSError, ValueError):
                return
            self.first = self.first or s
            self.last = s
            self.peak_rss_kb = max(self.peak_rss_kb, s.rss_kb)
            if self._stop.wait(self.interval):
                return

    def start(self) -> Watch:
        self._thread.start()
        return self

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(timeout=5)
        cpu = cpu_percent(self.first, self.last) if self.first and self.last else None
        rss = self.last.rss_kb if self.last else None
        return {"peak_rss_kb": self.peak_rss_kb, "rss_kb": rss, "cpu_percent": cpu}


def rss_detail(pid: int) -> dict:
    """What a process's resident memory is made of (kB): RssAnon, RssFile, RssShmem from
    /proc/<pid>/status, and Pss (its proportional share, pages shared with other processes
    divided among them) from /proc/<pid>/smaps_rollup when the kernel has it."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in ("RssAnon", "RssFile", "RssShmem"):
            out[key] = int(line.split()[1])
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                out["Pss"] = int(line.split()[1])
    except OSError:
        pass
    return out
