"""The layout the README's Architecture section draws, checked from the code: layers, no import circles, small files.

Every import counts, including those inside functions: a lazy import still couples the two modules. Reads the
source with `ast`, imports nothing, needs no database.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lower layers never import higher ones. Apps on one layer may import each other (but no module circles).
LAYERS = {
    "outbox": 0, "jobs": 0,
    "marketplace": 1,
    "interest_units": 2,
    "experiments": 3,
    "recommender": 4,
    "storefront": 5,
    "demo": 6, "benchmarks": 6,
    "config": 7,
}
MAX_LINES = 600
DATA_LITERAL_SUFFIX = "_data.py"  # modules of pure data literals (the demo catalogue) are exempt from MAX_LINES


def project_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every non-migration module of the project's apps."""
    modules = {}
    for app in LAYERS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def imported_names(path: Path) -> Iterator[str]:
    """Every absolute module name `path` imports, at any depth (relative imports are not used in this project)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (a name resolves to its longest prefix that is a module)."""
    modules = project_modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        for name in imported_names(path):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                graph[module].add(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in list(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_no_lower_app_imports_a_higher_one():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        for target in targets
        if LAYERS[target.split(".")[0]] > LAYERS[module.split(".")[0]]
    )
    assert upward == []


def test_every_top_level_package_is_on_a_layer():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(LAYERS)


def test_no_python_file_over_the_line_limit():
    long_files = sorted(
        f"{path.relative_to(ROOT)}: {lines}"
        for path in project_modules().values()
        if not path.name.endswith(DATA_LITERAL_SUFFIX) and (lines := len(path.read_text().splitlines())) > MAX_LINES
    )
    assert long_files == []


def test_the_checks_see_a_circle_and_an_upward_arrow():
    # The checks above must be able to fail: a made-up graph with a circle is caught.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
