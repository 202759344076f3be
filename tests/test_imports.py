"""The package's import graph: no cycles among seqgpt's modules, and a light ``import seqgpt``.

The graph is read from the source with ``ast``, imports inside functions included (a cycle
hidden in a function still ties the two modules together). Not counted: imports under
``if TYPE_CHECKING:`` (never run), under ``if __name__ == "__main__":`` (the file runs as
``__main__`` there, another module), and the implicit import of a module's parent packages
(``seqgpt.a.b`` always runs ``seqgpt/a/__init__.py`` first; a package that imports its own
submodules is not a cycle).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import seqgpt

ROOT = Path(seqgpt.__file__).parent


def _modules() -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package's ``__init__``)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


def _not_run_on_import(node: ast.If) -> bool:
    test = node.test
    if isinstance(test, (ast.Name, ast.Attribute)):  # TYPE_CHECKING, typing.TYPE_CHECKING
        return (test.id if isinstance(test, ast.Name) else test.attr) == "TYPE_CHECKING"
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.comparators) == 1
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _not_run_on_import(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, dict[str, int]]:
    """Module -> {seqgpt module it imports: line of the first such import}."""
    modules = _modules()
    graph: dict[str, dict[str, int]] = {}
    for name, (path, package) in modules.items():
        here = name if package else name.rpartition(".")[0]
        edges: dict[str, int] = {}
        for node in _imports(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = here.split(".")[:len(here.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # ``from a import b``: the submodule a.b if there is one, else a itself
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules
                           else source for alias in node.names]
            for target in targets:
                if target in modules and target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(found)


def test_no_import_cycles_among_the_package_modules() -> None:
    graph = import_graph()
    found = cycles(graph)
    described = []
    for component in found:
        members = set(component)
        described.append("; ".join(f"{m} -> {t} (line {line})" for m in component
                                   for t, line in sorted(graph[m].items()) if t in members))
    assert not found, "import cycles:\n" + "\n".join(described)


def test_the_graph_sees_imports_inside_functions_and_skips_type_checking() -> None:
    graph = import_graph()
    assert "seqgpt.tasks" in graph["seqgpt.api"]  # imported inside a function
    assert "seqgpt.backends.compact" in graph["seqgpt.api"]
    assert "seqgpt.prompt" not in graph["seqgpt.types"]
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [
        ["a", "b", "c"]]


def _loaded_after(modules: str, watched: tuple[str, ...]) -> list[str]:
    """Which of ``watched`` a fresh interpreter has loaded after ``import <modules>``."""
    code = f"import sys, {modules}; print(sorted(m for m in {watched!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return ast.literal_eval(out.strip())


def test_import_seqgpt_stays_light() -> None:
    # ``import seqgpt; seqgpt.load()`` is the cold start: the backends, the composite tasks
    # and the trainers are imported when first used.
    assert _loaded_after("seqgpt", ("torch", "transformers", "numpy", "seqgpt.tasks",
                                    "seqgpt.train", "seqgpt.backends")) == []


def test_the_training_package_leaves_torch_unloaded() -> None:
    # ``seqgpt train --help`` and ``seqgpt.finetune`` import the package (the fine-tune entry,
    # the generative trainer, the shared loop, replay and user-data readers): all of them keep
    # torch inside the functions that train.
    assert _loaded_after("seqgpt.train, seqgpt.train.loop, seqgpt.train.generative",
                         ("torch", "transformers")) == []
