"""The layering the code is organised by, checked from the source: import arrows only point down
(core ← models ← lm ← tasks ← ui; bench, apart, may use anything; the CLI uses models and tasks) and no
module imports itself back through others.

Every import counts, including lazy ones inside functions and `TYPE_CHECKING` ones: a deferred import is
still a dependency. Run this file directly to print the import-arrow count:

    python tests/test_architecture.py
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "playground"
PACKAGE = PACKAGE_DIR.name

# Layers from the bottom up; a module may import its own layer and the layers below it.
LAYERS = ("core", "models", "lm", "tasks", "ui")
# Modules outside the stack, and the layers each may import.
APART = {
    "bench": {"core", "models", "lm", "tasks", "ui", "bench"},  # measures everything, the UI's click too
    "__main__": {"core", "models", "tasks"},  # the command line
    "soak": {"bench"},  # `python -m playground.soak`, a shim over bench/soak.py
    "__init__": set(),
}


def module_files() -> dict[str, Path]:
    """{dotted module name: file} for every module of the package."""
    out = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The package module a dotted name lives in (the longest known prefix), or None if not ours."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules that `module` imports anywhere in its file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(), filename=str(path))
    bound: dict[str, str] = {}  # local name → our module it names (`from playground import lm` binds "lm")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
            bound.update({alias.asname: alias.name for alias in node.names if alias.asname})
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import submodule` imports the submodule; `from module import name` the module.
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            names = [n for n in submodules if _resolve(n, modules) == n] or [base]
            bound.update({alias.asname or alias.name: f"{base}.{alias.name}" for alias in node.names
                          if f"{base}.{alias.name}" in modules})
        else:
            continue
        for name in names:
            target = _resolve(name, modules)
            if target and target != module and target != PACKAGE:
                found.add(target)
    # A lazy submodule (`core/lazy.py`) is an import too: `lm.masked_lm` where `lm` names our package.
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound:
            target = f"{bound[node.value.id]}.{node.attr}"
            if target in modules and target != module:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {m: imports_of(m, p, modules) for m, p in modules.items()}


def arrow_count(graph: dict[str, set[str]] | None = None) -> int:
    """Module-to-module import arrows within the package (each importing pair counted once)."""
    return sum(len(targets) for targets in (graph or import_graph()).values())


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def allowed_layers(layer: str) -> set[str]:
    if layer in LAYERS:
        return set(LAYERS[: LAYERS.index(layer) + 1])
    return APART.get(layer, set())


def upward_arrows(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if layer_of(target) not in allowed_layers(layer_of(module)):
                bad.append(f"{module} -> {target}")
    return bad


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_every_module_belongs_to_a_layer():
    unknown = [m for m in import_graph() if layer_of(m) not in LAYERS and layer_of(m) not in APART]
    assert unknown == [], f"modules outside the known layers: {unknown}"


def test_import_arrows_point_down():
    assert upward_arrows(import_graph()) == []


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_checker_sees_lazy_and_upward_imports(tmp_path):
    """The parser finds imports inside functions, and the layer rule flags an upward one."""
    modules = {"playground.models.x": tmp_path / "x.py", "playground.ui.page": tmp_path / "page.py",
               "playground.tasks": tmp_path / "__init__.py", "playground.tasks.nsp": tmp_path / "nsp.py"}
    modules["playground.models.x"].write_text(
        "def f():\n    from playground.ui.page import build_app\n    from playground.tasks import nsp\n")
    found = imports_of("playground.models.x", modules["playground.models.x"], modules)
    assert found == {"playground.ui.page", "playground.tasks.nsp"}
    assert upward_arrows({"playground.models.x": found}) == [
        "playground.models.x -> playground.tasks.nsp", "playground.models.x -> playground.ui.page"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_checker_sees_a_lazy_submodule_reached_through_its_package(tmp_path):
    """`from playground import tasks` then `tasks.nsp.run()` (core/lazy.py) depends on tasks.nsp."""
    modules = {"playground.models.x": tmp_path / "x.py", "playground.tasks": tmp_path / "__init__.py",
               "playground.tasks.nsp": tmp_path / "nsp.py"}
    modules["playground.models.x"].write_text("from playground import tasks\n\ndef f():\n    return tasks.nsp.run()\n")
    assert imports_of("playground.models.x", modules["playground.models.x"], modules) == {
        "playground.tasks", "playground.tasks.nsp"}


# ---- rooms per feature: the UI lays out and wires; features live in tasks --------------------------------------

MAX_FILE_LINES = 500
MAX_UI_FUNCTION_LINES = 60


def test_the_ui_reaches_models_only_through_tasks():
    """A tab imports its feature (tasks), core's errors and types, and the UI's own helpers: never lm or models."""
    graph = import_graph()
    bad = sorted(f"{m} -> {t}" for m, targets in graph.items() if layer_of(m) == "ui"
                 for t in targets if layer_of(t) in ("lm", "models"))
    assert bad == []


def test_no_file_is_a_warehouse():
    long = {str(path.relative_to(PACKAGE_DIR.parent)): n for path in PACKAGE_DIR.rglob("*.py")
            if (n := len(path.read_text().splitlines())) > MAX_FILE_LINES}
    assert long == {}


def test_ui_functions_are_short():
    """Layout, wiring and formatting come in pieces a reader takes in at a glance."""
    long = []
    for path in sorted((PACKAGE_DIR / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_UI_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE_DIR.parent)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


# Imports inside functions, over the package (issue 22 brought this from 150 to 18). Each defers something heavy
# for start-up and says so in a comment starting `# deferred:` (on its line or the line above); everything else
# imports at the top of its file, and a heavy module is reached from the page's light modules through its package
# (`core/lazy.py`).
MAX_FUNCTION_LOCAL_IMPORTS = 18


def function_local_imports() -> list[str]:
    found = set()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text())):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.update(f"{path.relative_to(PACKAGE_DIR.parent)}:{node.lineno}" for node in ast.walk(fn)
                             if isinstance(node, (ast.Import, ast.ImportFrom)))
    return sorted(found, key=lambda at: (at.rpartition(":")[0], int(at.rpartition(":")[2])))


def test_few_function_local_imports():
    found = function_local_imports()
    assert len(found) <= MAX_FUNCTION_LOCAL_IMPORTS, "\n".join(found)


def test_every_function_local_import_says_what_it_defers():
    """A deferral is a decision: `# deferred: <what it keeps out of start-up>` on the import's line or the one above."""
    silent = []
    for at in function_local_imports():
        file, _, line = at.rpartition(":")
        lines = (PACKAGE_DIR.parent / file).read_text().splitlines()
        n = int(line) - 1
        if "# deferred:" not in lines[n] and not (n > 0 and lines[n - 1].strip().startswith("# deferred:")):
            silent.append(f"{at}: {lines[n].strip()}")
    assert silent == [], "function-local imports without a `# deferred:` comment:\n" + "\n".join(silent)

def test_every_module_imports():
    """A heavy module reached lazily is not imported when the page is built, so a broken import in it would
    only show on first use: import every module here."""
    broken = {}
    for module in module_files():
        try:
            importlib.import_module(module)
        except Exception as error:  # noqa: BLE001 — every failure is reported, whatever its kind
            broken[module] = repr(error)
    assert broken == {}


if __name__ == "__main__":
    graph = import_graph()
    print(f"{arrow_count(graph)} import arrows between {len(graph)} modules of {PACKAGE}/")
    for line in upward_arrows(graph):
        print("upward:", line)
    for group in cycles(graph):
        print("cycle:", " <-> ".join(group))
    sys.exit(0)
