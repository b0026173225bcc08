"""Render the bridge's haproxy configuration outside a play (tests, benchmarks).

``render_haproxy_cfg`` renders the bridge_proxy role's own template the way the role's
template task does, with ansible-core's own Templar: the role's defaults, the caller's
overrides (as an inventory gives them), the role's vars/main.yml (the stats password's
hash and its salt, derived there once) and the template module's variables
(``ansible_managed``). So ``comment``, ``bool``, ``password_hash`` and every other filter
are Ansible's, and tests run the exact configuration the role installs behind a real
haproxy (tests/roles/test_rendered_haproxy.py compares it with an ansible-playbook run).
``render_guide_haproxy_cfg`` renders the guide's original configuration (the Debian
package's default haproxy.cfg with the guide's lines appended) for comparisons.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, generate_ansible_template_vars, trust_as_template

from bridge_cli.resources import PROJECT_ROOT

ROLE_DIR = PROJECT_ROOT / "roles" / "bridge_proxy"
TEMPLATE = ROLE_DIR / "templates" / "haproxy.cfg.j2"
DEFAULTS = ROLE_DIR / "defaults" / "main.yml"
ROLE_VARS = ROLE_DIR / "vars" / "main.yml"
# The template module's own Jinja settings (ansible.builtin.template's defaults).
TEMPLATE_OPTIONS = {"trim_blocks": True, "lstrip_blocks": False, "newline_sequence": "\n"}


def role_defaults() -> dict[str, Any]:
    """The bridge_proxy role's defaults/main.yml as a dict (plain values, for reading)."""
    return yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))


@functools.cache
def _loader() -> DataLoader:
    return DataLoader()  # caches the files it parses


def _role_file(path: Path) -> dict[str, Any]:
    """A role's variables file as Ansible loads it: its strings are templates."""
    return dict(_loader().load_from_file(str(path), trusted_as_template=True) or {})


def render_haproxy_cfg(overrides: dict | None = None) -> str:
    """haproxy.cfg exactly as the role renders it, for the role defaults + ``overrides``.

    Precedence as in a play: role defaults < ``overrides`` (as from an inventory) < the
    role's vars/main.yml. Values in ``overrides`` are taken as they are (not templated).
    The rest is what ansible.builtin.template does with a file: its text, trusted, through
    a Templar holding the variables and the template module's own (``ansible_managed``)."""
    variables = {**_role_file(DEFAULTS), **(overrides or {}), **_role_file(ROLE_VARS)}
    if "ansible_managed" not in variables:
        variables.update(generate_ansible_template_vars(TEMPLATE.name, fullpath=str(TEMPLATE)))
    templar = Templar(loader=_loader(), variables=variables)
    source = trust_as_template(TEMPLATE.read_text(encoding="utf-8"))
    return templar.template(source, escape_backslashes=False, overrides=TEMPLATE_OPTIONS)


# The Debian package's /etc/haproxy/haproxy.cfg (bookworm) followed by the guide's lines.
_GUIDE_TEMPLATE = """\
global
{% if log_target %}
\tlog {{ log_target }}\tlocal0
\tlog {{ log_target }}\tlocal1 notice
{% endif %}
{% if chroot %}
\tchroot {{ chroot }}
{% endif %}
{% if stats_socket %}
\tstats socket {{ stats_socket }} mode 660 level admin expose-fd listeners
\tstats timeout 30s
{% endif %}
{% if user %}
\tuser {{ user }}
\tgroup {{ user }}
{% endif %}
\tdaemon

defaults
\tlog\tglobal
\tmode\thttp
\toption\thttplog
\toption\tdontlognull
        timeout connect 5000
        timeout client  50000
        timeout server  50000

frontend http-in
   bind {{ bind_address }}:{{ http_port }}
   default_backend backend_servers

backend backend_servers
   server pvs6 {{ pvs_address }}:{{ pvs_port }}
   compression algo gzip
   compression type text/html text/plain text/css application/json

listen stats
   bind {{ bind_address }}:{{ stats_port }}
   stats enable
   stats uri /
   stats refresh 10s
   stats admin if LOCALHOST
"""


def render_guide_haproxy_cfg(
    *,
    bind_address: str = "",
    http_port: int = 80,
    stats_port: int = 8080,
    pvs_address: str = "172.27.153.1",
    pvs_port: int = 80,
    log_target: str = "/dev/log",
    chroot: str = "/var/lib/haproxy",
    stats_socket: str = "/run/haproxy/admin.sock",
    user: str = "haproxy",
) -> str:
    """The guide's configuration as a Pi running it has it (Debian default + guide)."""
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, autoescape=False)
    return env.from_string(_GUIDE_TEMPLATE).render(
        bind_address=bind_address,
        http_port=http_port,
        stats_port=stats_port,
        pvs_address=pvs_address,
        pvs_port=pvs_port,
        log_target=log_target,
        chroot=chroot,
        stats_socket=stats_socket,
        user=user,
    )
