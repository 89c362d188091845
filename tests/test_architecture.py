"""The package's architecture: imports run one way between subpackages, no module imports
itself in a circle (type-hint and function-level imports included), no module is long, and
every subpackage says in its docstring what lives there and what it may import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.core  # also run under Python 3.13 with the core alone

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "talentsim"
#: Each subpackage (or top-level module) and its layer: it may import lower layers only.
LAYERS = {
    "errors": 0,
    "taxonomy": 0,
    "extras": 1,
    "storage": 1,
    "render": 2,
    "scenario": 3,
    "model": 4,
    "runs": 5,
    "evidence": 6,
    "calibration": 7,
    "sensitivity": 8,
    "effects": 8,
    "discovery": 8,
    "reports": 9,
    "api": 10,
    "viz": 10,
    "cli": 11,
    "__main__": 12,
}
MAX_LINES = 420  # "about 400"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path) -> set[str]:
    """Every talentsim module a file imports, wherever the import statement is."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("talentsim"))
        elif (
            isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("talentsim")
        ):
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in _imports(path):
            while imported not in modules and "." in imported:
                imported = imported.rsplit(".", 1)[0]  # `from pkg import name`: the module pkg
            if imported in modules and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_imports_run_one_way_between_subpackages() -> None:
    wrong = []
    for module, targets in _graph().items():
        area = _area(module)
        if area == "__init__":
            continue
        for target in targets:
            other = _area(target)
            if other not in (area, "__init__") and LAYERS[other] >= LAYERS[area]:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "imports that point up or sideways:\n" + "\n".join(sorted(wrong))


def test_no_module_imports_itself_in_a_circle() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import circles:\n" + "\n".join(cycles)


def test_the_stages_do_not_need_the_model_module() -> None:
    graph = _graph()
    for module, targets in graph.items():
        if module.startswith("talentsim.model.") and module != "talentsim.model.model":
            assert "talentsim.model.model" not in targets, module


def test_modules_are_short_and_subpackages_say_what_they_hold() -> None:
    long = [
        f"{p.relative_to(PACKAGE)}: {n} lines"
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    ]
    assert not long, long
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        if init.parent == PACKAGE or init.parent.name in ("stages", "viz"):
            assert len(doc) > 80, init
        else:
            assert "May import" in doc, f"{init.relative_to(PACKAGE)} says nothing of its imports"


@pytest.mark.parametrize("area", sorted(set(LAYERS) - {"__main__", "api", "errors", "taxonomy"}))
def test_every_layer_exists(area: str) -> None:
    assert (PACKAGE / area).is_dir() or (PACKAGE / f"{area}.py").is_file()
