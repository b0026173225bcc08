"""Ship the roles, playbooks, templates and Ansible settings inside the wheel.

They live at the top of the repository (the promised layout, and the Ansible collection's
root); an installed wheel finds its copy in bridge_cli/_shipped (bridge_cli/resources.py).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
ITEMS = ("roles", "playbooks", "templates", "plugins", "meta", "galaxy.yml", "ansible.cfg")


class BuildPyWithShipped(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout itself
        target = Path(self.build_lib) / "bridge_cli" / "_shipped"
        shutil.rmtree(target, ignore_errors=True)
        for item in ITEMS:
            src = ROOT / item
            if src.is_dir():
                shutil.copytree(
                    src, target / item, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
                )
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target / item)


setup(cmdclass={"build_py": BuildPyWithShipped})
