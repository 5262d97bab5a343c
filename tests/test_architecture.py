"""The layout's rules, so that breaking a layer fails a test and not a review.

The import contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and
also run from the command line as ``lint-imports``.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("resandi_core", "resandi_gui")
MAX_LINES = 500


def python_files() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_import_contracts_in_pyproject_hold():
    # A child process: import-linter reconfigures logging (dictConfig disables every
    # existing logger), which would silence other tests' log checks in this process.
    script = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert script, "lint-imports is missing: pip install -e '.[test]'"
    run = subprocess.run([script, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    # every contract ran: a contract silently dropped from the config is a defect too
    assert run.stdout.count("KEPT") >= 5, run.stdout


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module (the import cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_strongly_connected_finds_a_cycle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_between_modules(package):
    # Function-level (lazy) imports count: a cycle hidden in a function is still a cycle.
    graph = grimp.build_graph(package, cache_dir=None)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    internal = {module: {m for m in targets if m.split(".")[0] == package} for module, targets in imports.items()
                if module.split(".")[0] == package}
    # A package's __init__ re-exporting its own modules is not a cycle of design; leave it out.
    for module, targets in internal.items():
        internal[module] = {t for t in targets if not module.startswith(t + ".")}
    assert strongly_connected(internal) == []


def test_no_module_over_500_lines():
    too_long = {str(path.relative_to(ROOT)): n for path in python_files()
                if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert too_long == {}, f"split these modules by job: {too_long}"


def test_every_core_package_says_what_it_owns_and_may_import():
    for init in sorted((ROOT / "resandi_core").glob("*/__init__.py")):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "May import" in docstring, f"{init.relative_to(ROOT)}: say what the package may import"
