"""The import graph: one-way, and the shipped product apart from the test harness.

Read from the source (ast), every import counted, also those under TYPE_CHECKING and
inside functions: a cycle there is still a cycle for a reader of the code. The graph
covers the shipped package (bridge_cli, the simulator and the lab included) and the
harness (harness/: the benchmarks, test beds, the haproxy renderer) together; the
direction is tests -> harness -> bridge_cli, never back.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bridge_cli"
HARNESS = ROOT / "harness"


def _modules() -> dict[str, Path]:
    out = {}
    for top in (PACKAGE, HARNESS):
        for path in top.rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def imported_names(name: str, path: Path) -> set[str]:
    """Every dotted name `name` (at `path`) imports, relative imports made absolute."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            names |= {f"{base}.{a.name}" for a in node.names} | {base}
    return names


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for target in imported_names(name, path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_in_the_product_and_the_harness():
    graph = import_graph()
    assert any(m.startswith("bridge_cli.simulator") for m in graph)
    assert any(m.startswith("harness.bench") for m in graph)
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def _imports_of(prefix: str) -> dict[str, set[str]]:
    return {n: imported_names(n, p) for n, p in _modules().items() if n.startswith(prefix)}


def test_the_shipped_package_imports_neither_the_harness_nor_the_tests():
    imports = _imports_of("bridge_cli")
    assert len(imports) > 50
    wrong = {
        (m, t) for m, ts in imports.items() for t in ts if t.split(".")[0] in ("harness", "tests")
    }
    assert wrong == set()
    text = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
    for top in ("harness", "tests"):
        assert f"import {top}" not in text and f"from {top}" not in text


def test_the_harness_imports_no_test_module():
    helpers = {p.stem for p in (ROOT / "tests").rglob("*.py")} | {"tests", "conftest"}
    imports = _imports_of("harness")
    assert imports
    wrong = {(m, t) for m, ts in imports.items() for t in ts if t.split(".")[0] in helpers}
    assert wrong == set()


def test_the_wheel_packages_the_product_only():
    """The packages setuptools puts in the wheel (pyproject's find include)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(str(ROOT), include=include)
    assert "bridge_cli" in packages and "bridge_cli.simulator" in packages
    assert not [p for p in packages if not p.startswith("bridge_cli")]
