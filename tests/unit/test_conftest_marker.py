"""Only tests marked `lab` are skipped where the lab cannot run, whatever their folder."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


def _marked_lab():
    spec = importlib.util.spec_from_file_location("tests_root_conftest", CONFTEST)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.marked_lab


def test_only_marked_tests_count_as_lab_tests(pytester):
    pytester.makeini("[pytest]\nmarkers =\n    lab: needs the lab\n")
    lab = pytester.mkpydir("lab")
    module = lab / "test_pure.py"
    module.write_text(
        textwrap.dedent(
            """
            import pytest

            def test_pure():
                pass

            @pytest.mark.lab
            def test_needs_lab():
                pass
            """
        )
    )
    items = pytester.getitems(module)
    assert {i.name for i in items} == {"test_pure", "test_needs_lab"}
    # The folder's name is among every item's keywords: matching it would skip test_pure.
    assert all("lab" in i.keywords for i in items)
    assert [i.name for i in _marked_lab()(items)] == ["test_needs_lab"]
