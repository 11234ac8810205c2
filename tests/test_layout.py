"""The package's layout: the engine and the ways of seeing it are two floors, small modules,
no import circles, and every documented import path still works."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "scalargrad"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def runtime_imports(name: str) -> set[str]:
    """The scalargrad modules `name` imports when it runs (module level or inside functions;
    imports under `if TYPE_CHECKING:` are for the type checker only and are left out)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    here = name if is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("scalargrad"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("scalargrad"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


def is_view(name: str) -> bool:
    """The views (scalargrad.see) and the workshop site built on them (scalargrad.workshop)."""
    return any(name == top or name.startswith(top + ".")
               for top in ("scalargrad.see", "scalargrad.workshop"))


ENGINE = [m for m in MODULES if not is_view(m) and m not in ("scalargrad", "scalargrad._moved")]


NN_MODULES = sorted((ROOT / "nn").glob("*.py"))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_is_small_enough_to_read_in_one_sitting(name: str) -> None:
    """No module of scalargrad is over 400 lines."""
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines (at most {MAX_LINES})"


@pytest.mark.parametrize("path", NN_MODULES, ids=lambda p: p.name)
def test_every_nn_module_is_small_enough_too(path: Path) -> None:
    """No module of nn is over 400 lines either."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"nn/{path.name} has {lines} lines (at most {MAX_LINES})"


@pytest.mark.parametrize("name", sorted(ENGINE))
def test_the_engine_never_imports_the_views(name: str) -> None:
    """An engine module imports nothing from scalargrad.see, not even inside a function."""
    views = sorted(m for m in runtime_imports(name) if is_view(m))
    assert not views, f"{name} imports {views}"


def test_no_module_imports_itself_through_a_circle() -> None:
    """The runtime import graph of scalargrad's modules has no cycle (packages' __init__,
    which re-export their modules, are left out)."""
    graph = {m: {d for d in runtime_imports(m) if not is_package(d)}
             for m in MODULES if not is_package(m)}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(start: str) -> None:
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, deps = stack[-1]
            for dep in deps:
                if dep not in graph:
                    continue
                if state.get(dep) == 1:
                    cycles.append(path[path.index(dep):] + [dep])
                elif dep not in state:
                    state[dep] = 1
                    path.append(dep)
                    stack.append((dep, iter(sorted(graph[dep]))))
                    break
            else:
                state[node] = 2
                stack.pop()
                path.pop()

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


ENGINE_ONLY = r'''
import importlib.abc, pathlib, pickle, sys, types

class NoViews(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "scalargrad.see" or name.startswith("scalargrad.see."):
            raise ImportError(f"the views are not importable here: {name}")
        return None

sys.meta_path.insert(0, NoViews())
package = types.ModuleType("scalargrad")  # the package without its __init__ (which shows both)
package.__path__ = [sys.argv[1]]
sys.modules["scalargrad"] = package

from scalargrad.value import Value
from scalargrad.fused import dot, sum
from scalargrad.gradcheck import gradcheck
from scalargrad.anomaly import detect_anomaly
from scalargrad.grad_mode import no_grad

x = Value(2.0, label="x")
y = sum([dot([x, 3.0], [x, x]), x.tanh(), x ** 2, (-x).exp() / x])
with detect_anomaly():
    y.backward()
assert gradcheck(lambda a: a * a + a.sin(), 0.3).ok
with no_grad():
    assert (x * x)._prev == ()
assert pickle.loads(pickle.dumps(y)).data == y.data
assert x._repr_html_() is None  # no view registered a renderer
print(round(x.grad, 9))
'''


def test_the_engine_runs_and_checks_gradients_without_any_view_module() -> None:
    """With scalargrad.see made unimportable, the engine builds, differentiates (in anomaly
    mode), gradchecks and pickles a graph; d/dx of the sum is what calculus says."""
    import math

    out = subprocess.run([sys.executable, "-c", ENGINE_ONLY, str(PACKAGE)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    x = 2.0  # d/dx [x·x + 3x + tanh x + x² + e^(−x)/x]
    expected = 2 * x + 3 + (1 - math.tanh(x) ** 2) + 2 * x + (-math.exp(-x) / x
                                                              - math.exp(-x) / x ** 2)
    assert float(out.stdout) == pytest.approx(expected, rel=1e-8)


def test_every_public_name_imports_from_the_package() -> None:
    """Each name in scalargrad.__all__ and nn.__all__ is importable from the package."""
    import nn
    import scalargrad

    for module in (scalargrad, nn):
        missing = [n for n in module.__all__ if not hasattr(module, n)]
        assert not missing, f"{module.__name__} lacks {missing}"


# Import paths the docs, demos and earlier releases use, and a name each must give.
OLD_PATHS = [
    ("scalargrad.trace", "format_number"), ("scalargrad.trace", "node_names"),
    ("scalargrad.trace", "explain"), ("scalargrad.trace", "check_graph"),
    ("scalargrad.draw", "graph_spec"), ("scalargrad.draw", "parameter_name"),
    ("scalargrad.draw", "draw_dot"), ("scalargrad.display", "TextTable"),
    ("scalargrad.display", "history_html"), ("scalargrad.display", "escape_html"),
    ("scalargrad.page", "graph_data"), ("scalargrad.page", "json_for_script"),
    ("scalargrad._mplfigure", "new_figure"), ("scalargrad.frames", "save_gif"),
    ("scalargrad.layout", "choose_look"), ("scalargrad.plots", "plot_history"),
    ("scalargrad.replay", "TrainingRecorder"), ("scalargrad.mpl_graph", "draw_spec"),
    ("scalargrad.graph", "local_gradients"), ("scalargrad.anomaly", "AnomalyError"),
    ("scalargrad.value", "Value"),
]


@pytest.mark.parametrize(("module", "name"), OLD_PATHS)
def test_documented_import_paths_still_work(module: str, name: str) -> None:
    """`from <old module> import <name>` still works after the views moved to scalargrad.see."""
    code = f"from {module} import {name}; print({name}.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == name


def test_an_unknown_name_in_a_moved_module_is_an_error() -> None:
    """A typo in an old module path raises AttributeError naming where the module went."""
    import scalargrad

    with pytest.raises(AttributeError, match="scalargrad.see"):
        scalargrad.trace.explian  # noqa: B018
