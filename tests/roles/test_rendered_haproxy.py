"""The harness's haproxy.cfg (harness.proxy_config) is the text the role writes.

ansible-playbook (connection local) runs the role's own template task, taken from
roles/bridge_proxy/tasks/main.yml, in a role made of the bridge_proxy role's defaults, vars
and templates (only the destination changes: a temporary folder; no owner, validation or
handler). Every test that runs "the role's configuration" behind a real haproxy relies on
this equality.
"""

from __future__ import annotations

import pytest
import yaml
from roles_playbook import run_local_play

from bridge_cli.provision import PROJECT_ROOT
from harness.local_haproxy import UNPRIVILEGED_OVERRIDES
from harness.proxy_config import render_haproxy_cfg

ROLE = PROJECT_ROOT / "roles" / "bridge_proxy"

# Each changes what the template writes: the stats user (the password's hash, salted as
# the role salts it), writes allowed, HTTPS passed through or off, strings the `bool`
# filter reads, no cache, no pinned PVS, and the loopback settings the tests use.
VARIANTS = {
    "defaults": {},
    "stats-user": {"bridge_proxy_stats_user": "admin", "bridge_proxy_stats_password": "a-test-pw"},
    "writes": {"bridge_proxy_allow_writes": True},
    "passthrough": {"bridge_proxy_https_mode": "passthrough"},
    "no-https": {"bridge_proxy_https_passthrough": "no"},
    "bool-strings": {"bridge_proxy_prometheus": "false", "bridge_proxy_cache": "off"},
    "unpinned": {"__bridge_proxy_pvs_pinned": False},
    "loopback": {
        "bridge_proxy_bind_address": "127.0.0.1",
        "bridge_proxy_http_port": 18080,
        "bridge_proxy_pvs_address": "127.0.0.1",
        "bridge_proxy_pvs_port": 18000,
        **UNPRIVILEGED_OVERRIDES,
    },
}


def the_roles_template_task() -> dict:
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text())
    found = [
        t for t in tasks if t.get("ansible.builtin.template", {}).get("src") == "haproxy.cfg.j2"
    ]
    assert len(found) == 1, "the role writes haproxy.cfg with one template task"
    return found[0]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("rendered-haproxy")
    role = work / "roles" / "proxy_template"
    (role / "tasks").mkdir(parents=True)
    for part in ("defaults", "vars", "templates"):
        (role / part).symlink_to(ROLE / part)
    task = the_roles_template_task()
    args = task["ansible.builtin.template"]
    for key in ("owner", "group", "validate"):
        args.pop(key, None)
    args["dest"] = "{{ rendered_dest }}"
    task.pop("notify", None)
    (role / "tasks" / "main.yml").write_text(yaml.safe_dump([task], sort_keys=False))
    plays = [
        {
            "name": "The role's template task, once per variant",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": f"Write {name}",
                    "ansible.builtin.include_role": {"name": "proxy_template"},
                    "vars": {"rendered_dest": str(work / f"{name}.cfg"), **variables},
                }
                for name, variables in VARIANTS.items()
            ],
        }
    ]
    playbook = work / "render.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    run = run_local_play(work, playbook, env={"ANSIBLE_ROLES_PATH": str(work / "roles")})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return {name: (work / f"{name}.cfg").read_text() for name in VARIANTS}


@pytest.mark.parametrize("name", VARIANTS)
def test_the_harness_renders_what_ansible_playbook_writes(written, name):
    assert render_haproxy_cfg(dict(VARIANTS[name])) == written[name]


def test_the_stats_password_is_hashed_with_the_salt_from_the_user(written):
    line = next(x for x in written["stats-user"].splitlines() if "password $6$" in x)
    assert "a-test-pw" not in written["stats-user"]
    assert line.split()[:2] == ["user", "admin"]
    other = render_haproxy_cfg({**VARIANTS["stats-user"], "bridge_proxy_stats_user": "other"})
    assert line not in other  # another user, another salt
