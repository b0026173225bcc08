"""sunpower-pvs-exporter (PyPI, legacy dl_cgi API), unchanged, against HOST; prints JSON.

Run inside the lab's home namespace:

- `exporter_probe.py scrape HOST`: starts the exporter as its users do (its console
  script, `--hostname HOST --port 80`) on a loopback port of this namespace, scrapes its
  /metrics once (each scrape makes it ask the PVS: Start, Get_Comm, GridProfileGet,
  DeviceList, Stop), stops it, prints how many series of each family it exported;
- `exporter_probe.py write HOST`: the exporter's own collector and HTTP session send one
  write command (SetCellPurchased) as it sends its reads; prints the HTTP status it got
  (a `requests` response hook, the library's public hook).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

from sunpower_pvs_exporter.exporter import SunPowerPVSupervisorCollector


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(host: str) -> dict:
    exe = shutil.which("sunpower-pvs-exporter") or str(
        Path(sys.executable).with_name("sunpower-pvs-exporter")
    )
    port = free_port()
    argv = [exe, "--hostname", host, "--port", "80", "--listen-on", str(port), "--timeout", "60"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:  # until its HTTP server listens (bounded)
            try:
                text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=120)
                body = text.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    families = Counter(
        line.split("{")[0] for line in body.splitlines() if line.startswith("sunpower_pvs_")
    )
    return {"families": dict(families), "stderr": proc.stderr.read()[-2000:]}


def write(host: str) -> dict:
    collector = SunPowerPVSupervisorCollector(hostname=host, port=80, timeout=30)
    statuses: list[int] = []
    collector.session.hooks["response"].append(lambda r, *a, **k: statuses.append(r.status_code))
    answer = collector._get("SetCellPurchased")  # its own request path, a write command
    return {"statuses": statuses, "answer": answer}


if __name__ == "__main__":
    action, host = sys.argv[1], sys.argv[2]
    print(json.dumps(scrape(host) if action == "scrape" else write(host)))
