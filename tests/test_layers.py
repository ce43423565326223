"""The import arrows run one way (docs/architecture.md), read from the source itself.

Two checks on the graph of ``import`` statements between modules of ``app/``:
- no circle among the imports made when a module loads (top level);
- no import, wherever it stands, from a lower layer into a higher one (a domain
  service importing a screen, a model importing a service...).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

#: Layers from the bottom up; a module may import its own layer and the ones below.
FOUNDATION = (
    "app.models",
    "app.labels",
    "app.timezone",
    "app.normalisers",
    "app.db",
    "app.perf",
    "app.extensions",
    "app.config",
)
SCREENS = ("app.admin", "app.auth", "app.web", "app.public")
TOP = ("app.cli",)
LAYER_NAMES = ("socle", "services", "écrans", "assemblage")


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(APP.rglob("*.py"))}


def layer(module: str) -> int:
    """0 foundation, 1 domain services, 2 screens, 3 create_app and commands.

    Any other package (a new domain: documents, plans, mail...) is a service."""

    def under(prefixes):
        return any(module == p or module.startswith(p + ".") for p in prefixes)

    if module == "app" or under(TOP):
        return 3
    if under(SCREENS):
        return 2
    if under(FOUNDATION):
        return 0
    return 1


def imports_of(path: Path, modules: dict[str, Path]) -> list[tuple[str, int, bool]]:
    """(imported module of app, line, at module level?) for each import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    for node in tree.body:  # imports under "if TYPE_CHECKING:" never run
        if isinstance(node, ast.If):
            top_level.discard(id(node))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from app.x import y": y may itself be a module (app.x.y).
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in modules
                else node.module
                for alias in node.names
            ]
        for name in names:
            if name == "app" or name.startswith("app."):
                while name not in modules and "." in name:
                    name = name.rsplit(".", 1)[0]
                found.append((name, node.lineno, id(node) in top_level))
    return found


def test_layer_of_known_modules():
    """The classification the checks below rely on."""
    assert layer("app.models.people") == 0
    assert layer("app.labels") == 0
    assert layer("app.history.recorder") == 1
    assert layer("app.exports.writers") == 1
    assert layer("app.plans") == 1  # a new domain package counts as a service
    assert layer("app.admin.base") == 2
    assert layer("app.auth.views") == 2
    assert layer("app.cli.main") == 3
    assert layer("app") == 3


def test_no_import_runs_up_the_layers():
    modules = all_modules()
    wrong = []
    for name, path in modules.items():
        for target, line, _ in imports_of(path, modules):
            if layer(target) > layer(name):
                wrong.append(
                    f"{path.relative_to(APP.parent)}:{line} : {name} "
                    f"({LAYER_NAMES[layer(name)]}) importe {target} "
                    f"({LAYER_NAMES[layer(target)]})"
                )
    assert not wrong, "Imports à contre-sens des couches :\n" + "\n".join(wrong)


def find_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                group.append(item)
                if item == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                circles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_find_circles_sees_a_loop():
    assert find_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]
    assert find_circles({"a": {"b"}, "b": set()}) == []


@pytest.fixture(scope="module")
def load_time_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {
        name: {t for t, _, top in imports_of(path, modules) if top and t != name}
        for name, path in modules.items()
    }


def test_no_import_circle_between_modules(load_time_graph):
    circles = find_circles(load_time_graph)
    assert not circles, "Cercles d'imports : " + "; ".join(
        " → ".join(c) for c in circles
    )
