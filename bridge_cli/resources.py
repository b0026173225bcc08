"""Where the product's non-Python parts are: roles, playbooks, templates, ansible.cfg.

In a checkout (editable install, tests) they are the checkout's own folders. An installed
wheel carries a copy under `bridge_cli/_shipped/` (setup.py's build step puts it there),
so `pip install` or `pipx install` of the wheel gives a CLI that writes cards and provisions
without the checkout.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
SHIPPED = _PACKAGE / "_shipped"
CHECKOUT = _PACKAGE.parent

# What setup.py copies into the wheel (relative to the project root).
SHIPPED_ITEMS = ("roles", "playbooks", "templates", "plugins", "meta", "galaxy.yml", "ansible.cfg")

COLLECTION = ("pvs_bridge", "bridge")  # galaxy.yml's namespace and name


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


def collections_path(root: Path | None = None) -> Path:
    """A collections folder in which `pvs_bridge.bridge` is `root` (the project's root is
    the collection's root, galaxy.yml beside roles/ and plugins/).

    It is `<root>/.ansible/collections` (what ansible.cfg names, and where ansible-lint
    puts the same link); where `root` is not writable (a wheel installed for all users), a
    folder of the user's cache keyed by `root`. The link is made on first use."""
    root = (root or PROJECT_ROOT).resolve()
    candidates = [root / ".ansible" / "collections"]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    candidates.append(cache / "pvs-bridge" / "collections" / digest)
    for base in candidates:
        link = base.joinpath("ansible_collections", *COLLECTION)
        try:
            if link.is_symlink() and link.resolve() == root:
                return base
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(root, target_is_directory=True)
            return base
        except OSError:
            continue
    raise RuntimeError(f"cannot link the collection {'.'.join(COLLECTION)} to {root}")
