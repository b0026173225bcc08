"""The checks of the bridge itself, in one place for every caller.

- `bridge-cli doctor` runs `SCRIPT` over SSH and judges its output here (checks_ssh);
- `playbooks/verify.yml` runs the collection's module `pvs_bridge.bridge.bridge_health` on
  the bridge, which runs the same script locally and judges it here (the collection carries
  a verbatim copy of this package, see scripts/gen_reference.py);
- the molecule verifiers run the script on the lab bridge and judge it here too.

The PVS interface and subnet are what the caller says, else what the roles recorded on the
bridge (/etc/ansible/facts.d: bridge_pvs_link), else the defaults (eth0, 172.27.153.0/24).
Stdlib and relative imports only (it runs on the Pi's python3, 3.9 on Bullseye).
"""

from __future__ import annotations

import ipaddress
import subprocess

from . import health, ssh_parsers
from .findings import Finding

SCRIPT = ssh_parsers.build_script()
Outputs = dict  # command name -> (exit status, text), from ssh_parsers.split_script_output


def pvs_link(outputs: Outputs, interface: str | None = None, subnet=None):
    """(interface, subnet) to judge: the caller's, else the recorded facts, else defaults."""
    facts = ssh_parsers.parse_facts(outputs.get("facts", (0, ""))[1])
    f_iface, f_subnet = ssh_parsers.pvs_link(facts)
    if isinstance(subnet, str):
        subnet = ipaddress.IPv4Network(subnet, strict=False)
    return (interface or f_iface or "eth0", subnet or f_subnet or ssh_parsers.PVS_SUBNET)


def _text(outputs: Outputs, name: str) -> str:
    return outputs.get(name, (-1, ""))[1]


def _both(outputs: Outputs, name: str) -> tuple[int, str]:
    return outputs.get(name, (-1, ""))


# check id -> judge(outputs, (interface, subnet))
JUDGES = {
    "ssh.eth0_lease": lambda o, link: ssh_parsers.judge_lease(_text(o, "addr"), *link),
    "ssh.default_route": lambda o, link: ssh_parsers.judge_default_route(
        _text(o, "route"), link[0]
    ),
    "ssh.resolv": lambda o, link: ssh_parsers.judge_resolv(_text(o, "resolv"), link[1]),
    "ssh.ip_forward": lambda o, link: ssh_parsers.judge_forward(_text(o, "forward")),
    "ssh.haproxy": lambda o, link: ssh_parsers.judge_haproxy_active(*_both(o, "haproxy")),
    "ssh.clock": lambda o, link: ssh_parsers.judge_clock(*_both(o, "clock")),
    "ssh.disk": lambda o, link: ssh_parsers.judge_disk(_text(o, "disk")),
    "ssh.memory": lambda o, link: ssh_parsers.judge_memory(_text(o, "memory")),
    "ssh.power": lambda o, link: ssh_parsers.judge_throttled(_text(o, "throttled")),
    "ssh.wifi": lambda o, link: ssh_parsers.judge_wireless(_text(o, "wireless")),
    "ssh.temperature": lambda o, link: health.judge_temperature(_text(o, "temperature")),
    "ssh.uptime": lambda o, link: health.judge_uptime(_text(o, "uptime")),
    "ssh.sdcard": lambda o, link: health.judge_sdcard(_text(o, "sdcard")),
}


def judge(check_id: str, outputs: Outputs, interface: str | None = None, subnet=None) -> Finding:
    return JUDGES[check_id](outputs, pvs_link(outputs, interface, subnet))


def judge_all(outputs: Outputs, interface: str | None = None, subnet=None) -> list[Finding]:
    link = pvs_link(outputs, interface, subnet)
    return [fn(outputs, link) for fn in JUDGES.values()]


def run_here(timeout: float = 60.0) -> Outputs:
    """Run the script on this machine (the bridge) and split its output."""
    done = subprocess.run(
        ["/bin/sh", "-c", SCRIPT], capture_output=True, text=True, timeout=timeout, check=False
    )
    return ssh_parsers.split_script_output(done.stdout)
