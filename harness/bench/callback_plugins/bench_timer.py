"""Ansible callback for the benchmark: one JSON record per task (name, host, status, seconds).

Enabled by the benchmark only (ANSIBLE_CALLBACK_PLUGINS + ANSIBLE_CALLBACKS_ENABLED),
next to the normal stdout callback; writes to the file named by PVS_BENCH_TIMER_OUT.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_timer
type: aggregate
short_description: per-task wall times for pvs-bridge's benchmark
description: Writes a JSON document with every task's duration and status.
requirements:
  - enabled in configuration
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._started = time.monotonic()
        self._task_start: dict[str, float] = {}
        self._task_meta: dict[str, tuple[str, str]] = {}
        self._records: list[dict] = []

    def _start(self, task) -> None:
        uid = task._uuid
        self._task_start[uid] = time.monotonic()
        self._task_meta[uid] = (task.get_name(), task.action)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task)

    def _done(self, result, status: str) -> None:
        task = result._task
        uid = task._uuid
        name, action = self._task_meta.get(uid, (task.get_name(), task.action))
        changed = bool(result._result.get("changed", False)) and status == "ok"
        self._records.append(
            {
                "task": name,
                "action": action,
                "host": result._host.get_name(),
                "status": "changed" if changed else status,
                "seconds": round(time.monotonic() - self._task_start.get(uid, self._started), 4),
            }
        )

    def v2_runner_on_ok(self, result):
        self._done(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._done(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._done(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("PVS_BENCH_TIMER_OUT")
        if not path:
            return
        summary = {h: stats.summarize(h) for h in sorted(stats.processed)}
        with open(path, "w", encoding="utf-8") as out:
            json.dump(
                {
                    "wall": round(time.monotonic() - self._started, 3),
                    "tasks": self._records,
                    "stats": summary,
                },
                out,
                indent=1,
            )
