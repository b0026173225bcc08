"""Render the bridge's haproxy configuration outside Ansible (tests, benchmarks).

``render_haproxy_cfg`` renders the bridge_proxy role's own template with the role's
defaults merged with overrides, using plain Jinja2 configured like Ansible's templating
(trim_blocks), so tests run the exact configuration the role installs behind a real
haproxy. ``render_guide_haproxy_cfg`` renders the guide's original configuration (the
Debian package's default haproxy.cfg with the guide's lines appended) for comparisons.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import jinja2
import yaml
from passlib.hash import sha512_crypt

from bridge_cli.resources import PROJECT_ROOT

ROLE_DIR = PROJECT_ROOT / "roles" / "bridge_proxy"
TEMPLATE = ROLE_DIR / "templates" / "haproxy.cfg.j2"
DEFAULTS = ROLE_DIR / "defaults" / "main.yml"
MANAGED = "Managed by pvs-bridge (harness.proxy_config); local changes will be lost."


def role_defaults() -> dict[str, Any]:
    """The bridge_proxy role's defaults/main.yml as a dict."""
    return yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))


def _comment(text: str) -> str:
    """Ansible's ``comment`` filter with its default (shell) style."""
    lines = "\n".join(f"# {line}" if line else "#" for line in text.splitlines())
    return f"#\n{lines}\n#"


def _bool(value: Any) -> bool:
    """Ansible's ``bool`` filter: a string such as "false" or "no" is False (not truthy)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        value = value.strip().lower()
    return value in ("yes", "on", "1", "true", 1)


def stats_password_hash(user: str, password: str) -> str:
    """A SHA-512 crypt hash for haproxy's userlist; the salt is derived from the user so
    the rendered file is stable from run to run (same as the role)."""
    salt = hashlib.sha256(f"pvs-bridge-stats:{user}".encode()).hexdigest()[:16]
    return sha512_crypt.using(salt=salt, rounds=5000).hash(password)


def _environment(directory: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        trim_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["comment"] = _comment
    env.filters["bool"] = _bool
    return env


def render_haproxy_cfg(overrides: dict | None = None) -> str:
    """haproxy.cfg exactly as the role renders it, for the role defaults + ``overrides``."""
    variables: dict[str, Any] = role_defaults()
    variables.update(overrides or {})
    variables.setdefault("ansible_managed", MANAGED)
    if variables.get("bridge_proxy_stats_user"):
        variables.setdefault(
            "__bridge_proxy_stats_password_hash",
            stats_password_hash(
                variables["bridge_proxy_stats_user"], variables["bridge_proxy_stats_password"]
            ),
        )
    return _environment(TEMPLATE.parent).get_template(TEMPLATE.name).render(**variables)


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
