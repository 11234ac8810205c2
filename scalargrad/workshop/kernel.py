"""Run a lesson's code cells the way a Jupyter kernel does, in the browser's Python (Pyodide).

`Kernel.run(code)` executes one cell in the lesson's namespace and reports what it produced
through `emit(output)`, one plain dict per output, in order: printed text
(`{"type": "stream", "name": "stdout", "text": ...}`), a displayed object (`{"type":
"display", "data": {mime: content}}`: the value of the cell's last expression, or anything
passed to `display()`), and an error (`{"type": "error", "ename", "evalue", "traceback"}`).
Objects display by IPython's protocol (`_repr_mimebundle_`, `_repr_html_`, `_repr_svg_`,
`_repr_markdown_`, `_repr_png_`, then `repr`). A graphviz graph (`draw_dot`) is sent as its
DOT source (`text/vnd.graphviz`) for the page to draw, since the browser has no `dot`, with
its text alternative as `text/plain` (the graph as a text tree: nodes, values, gradients).
An error's traceback shows the learner's lines only (the cells' frames, named `<cell N>`),
not the frames of Python's standard library, Pyodide or scalargrad that it passed through.

Pure Python with no browser in it, so the same code runs, and is tested, under CPython.
"""

from __future__ import annotations

import ast
import base64
import linecache
import sys
import traceback
from typing import Any, Callable

Output = dict[str, Any]
CELL = "<cell>"
_MIMES = (("text/html", "_repr_html_"), ("image/svg+xml", "_repr_svg_"),
          ("text/markdown", "_repr_markdown_"), ("image/png", "_repr_png_"))


def mime_bundle(obj: Any) -> dict[str, str]:
    """What the page shows for `obj`: {mime type: text}, always with a text/plain entry."""
    data: dict[str, str] = {}
    if hasattr(obj, "source") and any(c.__module__.split(".")[0] == "graphviz"
                                      for c in type(obj).__mro__):
        data["text/vnd.graphviz"] = str(obj.source)
        described = graph_text(obj)
        if described:
            data["text/plain"] = described
    else:
        bundle = _call(obj, "_repr_mimebundle_")
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        if isinstance(bundle, dict):
            data.update({k: _text(v) for k, v in bundle.items() if isinstance(k, str)})
        for mime, method in _MIMES:
            if mime not in data:
                shown = _call(obj, method)
                if shown is not None:
                    data[mime] = _text(shown)
    if type(obj).__name__ == "SvgFigure" and hasattr(obj, "axes"):
        data["text/plain"] = figure_text(obj)
    data.setdefault("text/plain", repr(obj))
    return data


def figure_text(figure: Any) -> str:
    """The text alternative of a plot drawn without matplotlib (scalargrad.see.svg_figure):
    its titles and axes, and what each panel draws (a line from its first to its last value,
    with its lowest and highest; how many points; the shaded regions)."""
    parts = [f"A figure: {figure.title}." if figure.title else "A figure."]
    for k, ax in enumerate(figure.axes, 1):
        said = [f"Panel {k}" + (f", {ax.title}" if ax.title else "")
                + (f"; x: {ax.xlabel}" if ax.xlabel else "")
                + (f"; y: {ax.ylabel}" if ax.ylabel else "")
                + ("; log scale" if ax.yscale == "log" else "")]
        for kind, item in ax.items:
            name = item.get("label") or kind
            ys = item.get("ys") or []
            if kind == "line" and ys:
                said.append(f"{name}: {len(ys)} values from {ys[0]:.4g} to {ys[-1]:.4g} "
                            f"(lowest {min(ys):.4g}, highest {max(ys):.4g})")
            elif kind in ("points", "scatter"):
                said.append(f"{name}: {len(ys)} points")
            elif kind == "region":
                said.append("shaded regions: where the model says each class")
            elif kind == "zero":
                said.append("a line where the model's output is zero (the decision boundary)")
        parts.append("; ".join(said) + ".")
    return " ".join(parts)


def graph_text(graph: Any) -> str | None:
    """The text alternative of a `draw_dot` graph: what it draws as a text tree (each node's
    name, value, gradient and op), or None for a graph scalargrad did not draw."""
    root_and_options = getattr(graph, "_scalargrad_fallback", None)
    if root_and_options is None:
        return None
    from scalargrad.see.draw.text_tree import text_tree

    root, options = root_and_options
    tree = text_tree(root, max_lines=60, digits=int(options.get("digits", 4)))
    nodes = tree.count("\n") + 1
    return (f"A graph drawn by draw_dot ({nodes} lines below, one per node as the tree "
            f"reaches it; grad is each node's gradient):\n{tree}")


def _call(obj: Any, method: str) -> Any:
    fn = getattr(obj, method, None)
    if fn is None or isinstance(obj, type):
        return None
    try:
        return fn()
    except NotImplementedError:
        return None


def _text(content: Any) -> str:
    if isinstance(content, bytes):
        return base64.b64encode(content).decode("ascii")
    return str(content)


class _Stream:
    """sys.stdout / sys.stderr for a cell: each write goes out at once, in order."""

    def __init__(self, name: str, emit: Callable[[Output], None]) -> None:
        self.name, self.emit = name, emit

    def write(self, text: str) -> int:
        if text:
            self.emit({"type": "stream", "name": self.name, "text": text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class Kernel:
    """One lesson's namespace, and the cells run in it."""

    def __init__(self, emit: Callable[[Output], None]) -> None:
        self.emit = emit
        self.namespace: dict[str, Any] = {"__name__": "__main__", "display": self.display}
        self.count = 0

    def display(self, *objects: Any) -> None:
        """Show each object as Jupyter's display() does."""
        for obj in objects:
            self.emit({"type": "display", "data": mime_bundle(obj)})

    def run(self, code: str, name: str = CELL) -> bool:
        """Run one cell (`name`, e.g. "<cell 3>", names it in tracebacks); True if it finished
        without an error."""
        self.count += 1
        # the cell's lines, for tracebacks (as IPython keeps them)
        linecache.cache[name] = (len(code), None, code.splitlines(keepends=True), name)
        stdout, stderr = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Stream("stdout", self.emit), _Stream("stderr", self.emit)
        try:
            tree = ast.parse(code, name, "exec")
            last = tree.body[-1] if tree.body else None
            if isinstance(last, ast.Expr):  # the value of a last expression is shown
                tree.body.pop()
            else:
                last = None
            exec(compile(tree, name, "exec"), self.namespace)  # noqa: S102 - the learner's code
            if last is not None:
                value = eval(compile(ast.Expression(last.value), name, "eval"), self.namespace)
                if value is not None:
                    self.display(value)
            return True
        except SystemExit as e:
            self._error(e, f"the cell called exit({e.code!r}); the lesson goes on")
            return False
        except KeyboardInterrupt as e:
            self._error(e, "stopped: the Stop button interrupted this cell; the variables "
                           "it had made so far are kept")
            return False
        except BaseException as e:  # noqa: BLE001 - every error is the learner's to see
            self._error(e)
            return False
        finally:
            sys.stdout, sys.stderr = stdout, stderr

    def _error(self, e: BaseException, note: str | None = None) -> None:
        frames = traceback.extract_tb(e.__traceback__)
        keep = [f for f in frames if f.filename.startswith("<cell")]
        hidden = sum(1 for f in frames if f.filename != __file__) - len(keep)
        lines = traceback.format_list(keep) + traceback.format_exception_only(type(e), e)
        if keep and hidden:  # (a SyntaxError has no frame of the cell's: ast's are not news)
            lines.append(f"({hidden} frame{'s' if hidden > 1 else ''} inside scalargrad and "
                         "Python's own library hidden: the lines above are yours)\n")
        if note:
            lines.append(note + "\n")
        self.emit({"type": "error", "ename": type(e).__name__, "evalue": str(e),
                   "traceback": ("Traceback (most recent call last):\n" if keep else "")
                   + "".join(lines)})
