#!/usr/bin/python
"""Ansible module: the doctor's checks of the bridge itself, run on the bridge."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: bridge_health
short_description: Check a PVS bridge from the inside, as bridge-cli doctor does over SSH
description:
  - Runs the same commands and the same judges as C(bridge-cli doctor)'s C(ssh.*) checks
    (one implementation, carried in this collection's module_utils), on the bridge itself.
  - Returns every finding; fails when a finding fails (warnings do not fail).
  - The PVS interface and subnet default to what the roles recorded in
    C(/etc/ansible/facts.d/bridge_pvs_link.fact), else eth0 and 172.27.153.0/24.
options:
  pvs_interface:
    description: The bridge's interface to the PVS; empty means the recorded one.
    type: str
    default: ""
  pvs_subnet:
    description: The PVS's DHCP subnet (CIDR); empty means the recorded one.
    type: str
    default: ""
  ignore:
    description: Check ids whose failure does not fail the task (they are still reported).
    type: list
    elements: str
    default: []
author:
  - pvs-bridge developers
"""

EXAMPLES = r"""
- name: Check the bridge itself
  pvs_bridge.bridge.bridge_health:
  register: health
"""

RETURN = r"""
findings:
  description: One entry per check (id, status pass/warn/fail/info/skip, summary, detail, hint).
  type: list
  elements: dict
  returned: always
failed_checks:
  description: The ids of the failed checks.
  type: list
  elements: str
  returned: always
"""

import ipaddress  # noqa: E402
from dataclasses import asdict  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.pvs_bridge.bridge.plugins.module_utils.pvs_bridge.doctor import (  # noqa: E402
    onbridge,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "pvs_interface": {"type": "str", "default": ""},
            "pvs_subnet": {"type": "str", "default": ""},
            "ignore": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    subnet = module.params["pvs_subnet"] or None
    if subnet:
        try:
            subnet = ipaddress.IPv4Network(subnet, strict=False)
        except ValueError:
            module.fail_json(msg=f"pvs_subnet: {subnet!r} is not an IPv4 network")
    outputs = onbridge.run_here()
    findings = onbridge.judge_all(outputs, module.params["pvs_interface"] or None, subnet)
    failed = [f.id for f in findings if f.status == "fail" and f.id not in module.params["ignore"]]
    result = {"changed": False, "findings": [asdict(f) for f in findings], "failed_checks": failed}
    if failed:
        lines = [f"{f.id}: {f.summary} ({f.hint})" for f in findings if f.id in failed]
        module.fail_json(msg="; ".join(lines), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
