"""Where the product's non-Python parts are: roles, playbooks, templates, ansible.cfg.

In a checkout (editable install, tests) they are the checkout's own folders. An installed
wheel carries a copy under `bridge_cli/_shipped/` (setup.py's build step puts it there),
so `pip install` or `pipx install` of the wheel gives a CLI that writes cards and provisions
without the checkout.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
SHIPPED = _PACKAGE / "_shipped"
CHECKOUT = _PACKAGE.parent

# What setup.py copies into the wheel (relative to the project root).
SHIPPED_ITEMS = ("roles", "playbooks", "templates", "filter_plugins", "ansible.cfg")


def _is_root(path: Path) -> bool:
    return all((path / item).exists() for item in SHIPPED_ITEMS)


def project_root() -> Path:
    """The folder holding roles/, playbooks/, templates/...: the checkout, else the copy."""
    if _is_root(CHECKOUT):
        return CHECKOUT
    if _is_root(SHIPPED):
        return SHIPPED
    raise RuntimeError(
        f"pvs-bridge is installed without its roles and templates (looked in {CHECKOUT} "
        f"and {SHIPPED}); reinstall from a wheel built with `pip wheel .`"
    )


PROJECT_ROOT = project_root()
