"""Run the role's real haproxy configuration with the host's haproxy on loopback.

Another haproxy build can be tested by giving its command line in BRIDGE_HAPROXY_CMD, e.g.
haproxy 2.2 inside a bullseye root file system run with systemd-nspawn (see the README).
"""

from __future__ import annotations

from pathlib import Path

from harness.local_haproxy import (
    UNPRIVILEGED_OVERRIDES,
    LocalHaproxy,
    check_config,  # noqa: F401  (re-exported for the tests)
    free_port,
    haproxy_command,
)
from harness.proxy_config import render_haproxy_cfg

HAPROXY_CMD = haproxy_command()
HAPROXY = HAPROXY_CMD[0]
LOOPBACK = "127.0.0.1"


def loopback_overrides(pvs_port: int) -> dict:
    """Overrides that keep a test haproxy on loopback, unprivileged ports, no system paths."""
    return {
        "bridge_proxy_bind_address": LOOPBACK,
        "bridge_proxy_http_port": free_port(),
        "bridge_proxy_stats_port": free_port(),
        "bridge_proxy_https_port": free_port(),
        "bridge_proxy_ws_port": free_port(),
        "bridge_proxy_pvs_address": LOOPBACK,
        "bridge_proxy_pvs_port": pvs_port,
        **UNPRIVILEGED_OVERRIDES,
    }


class RunningHaproxy(LocalHaproxy):
    """The role's config rendered with VARIABLES (kept in tmp_path/haproxy.cfg to inspect)."""

    def __init__(self, tmp_path: Path, variables: dict):
        self.variables = variables
        text = render_haproxy_cfg(variables)
        self.rendered = tmp_path / "haproxy.cfg"
        self.rendered.write_text(text)
        super().__init__(text, [self.http])

    @property
    def http(self) -> tuple[str, int]:
        return LOOPBACK, self.variables["bridge_proxy_http_port"]

    @property
    def stats(self) -> tuple[str, int]:
        return LOOPBACK, self.variables["bridge_proxy_stats_port"]
