"""Run a lesson's code cells the way a Jupyter kernel does, in the browser's Python (Pyodide).

`Kernel.run(code)` executes one cell in the lesson's namespace and reports what it produced
through `emit(output)`, one plain dict per output, in order: printed text
(`{"type": "stream", "name": "stdout", "text": ...}`; a flood of prints is sent in a few
pieces a second, and past `Printed.HEAD` characters only its last `Printed.TAIL` are sent,
after a `{"type": "hidden", ...}` note counting the lines left out), a displayed object (`{"type":
"display", "data": {mime: content}}`: the value of the cell's last expression, or anything
passed to `display()`), and an error (`{"type": "error", "ename", "evalue", "traceback"}`).
Objects display by IPython's protocol (`_repr_mimebundle_`, `_repr_html_`, `_repr_svg_`,
`_repr_markdown_`, `_repr_png_`, then `repr`). A graphviz graph (`draw_dot`) is sent as its
DOT source (`text/vnd.graphviz`) for the page to draw, since the browser has no `dot`, with
its text alternative as `text/plain` (the graph as a text tree: nodes, values, gradients).
An error's traceback shows the learner's lines only (the cells' frames, named `<cell N>`),
not the frames of Python's standard library, Pyodide or scalargrad that it passed through.
No keyboard reaches the browser's Python: `input()` in a cell raises a RuntimeError saying so,
and to assign the value in the cell instead.

Pure Python with no browser in it, so the same code runs, and is tested, under CPython.
"""

from __future__ import annotations

import ast
import base64
import linecache
import sys
import time
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


NO_INPUT = ("input() cannot read the keyboard here: the browser workshop's Python has no "
            "keyboard input. Assign the value in the cell instead, e.g. name = \"Ada\" where "
            "the code says name = input(\"Name? \")")


class _NoInput:
    """sys.stdin for a cell: reading it (input(), sys.stdin.readline()) says why it cannot."""

    def readline(self, size: int = -1) -> str:
        raise RuntimeError(NO_INPUT)

    read = readline

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # input() then reads through readline, which says why not
        raise OSError("no keyboard input in the browser workshop")


class Printed:
    """What a cell prints to stdout and stderr, sent through `emit` in order, coalesced and cut.

    Each write goes out at once while a cell prints a little; a flood of writes (more than
    BURST in quick succession) is sent as a few messages a second (every EVERY seconds, or
    CHUNK characters), so the page is not sent a message per line. Past HEAD characters the
    text is held back: the last TAIL characters are sent when the cell ends (or before its next
    display or error), after a note `{"type": "hidden", "lines", "chars", "final", "head",
    "tail"}` counting what was left out (sent as it grows while the cell runs, then final).
    """

    HEAD, TAIL, CHUNK, EVERY, BURST = 100_000, 20_000, 64_000, 0.05, 200

    def __init__(self, emit: Callable[[Output], None]) -> None:
        self.emit = emit
        self.shown = 0                         # characters sent so far
        self.waiting: list[tuple[str, str]] = []  # (stream name, text) not yet sent
        self.waiting_chars = 0
        self.sent_at = 0.0                     # when the last message went
        self.tokens = float(self.BURST)        # writes that may still go out at once
        # past HEAD, the latest text is held back: its pieces, and where each stream's run of
        # pieces starts (a flood is one run: its pieces are joined at C speed, not looped over)
        self.tail: list[str] = []
        self.tail_runs: list[tuple[int, str]] = []
        self.tail_chars = 0
        self.hidden_lines = self.hidden_chars = 0  # dropped between the head and the tail
        self.noted_at = 0.0
        self.cut = False        # past HEAD
        self.line_start = True  # the text so far ends a line

    def write(self, name: str, text: str) -> None:
        if self.cut:
            if not self.tail_runs or self.tail_runs[-1][1] != name:
                self.tail_runs.append((len(self.tail), name))
            self.tail.append(text)
            self.tail_chars += len(text)
            if self.tail_chars > 2 * self.TAIL:
                self._drop(self.tail_chars - self.TAIL)
            return
        room = self.HEAD - self.shown - self.waiting_chars
        if len(text) > room:  # the head ends here, at a line's end where it can
            end = text.rfind("\n", 0, room) + 1
            if not end and not self.line_start:  # end the head's last line, if this ends it
                end = text.find("\n", 0, room + 1000) + 1 or room
            self._wait(name, text[:end])
            self.flush()
            self.cut = True
            if end < len(text):
                self.write(name, text[end:])
            return
        self._wait(name, text)
        now = time.monotonic()
        self.tokens = min(self.BURST, self.tokens + (now - self.sent_at) * self.BURST)
        if self.tokens >= 1 or now - self.sent_at >= self.EVERY or self.waiting_chars >= self.CHUNK:
            self.tokens -= 1
            self.flush(now)

    def _wait(self, name: str, text: str) -> None:
        if self.waiting and self.waiting[-1][0] == name:
            self.waiting[-1] = (name, self.waiting[-1][1] + text)
        else:
            self.waiting.append((name, text))
        self.waiting_chars += len(text)
        if text:
            self.line_start = text.endswith("\n")

    def flush(self, now: float | None = None) -> None:
        """Send the text waiting to go (not the held-back tail)."""
        for name, text in self.waiting:
            if text:
                self.emit({"type": "stream", "name": name, "text": text})
                self.shown += len(text)
        self.waiting, self.waiting_chars = [], 0
        self.sent_at = time.monotonic() if now is None else now

    def _drop(self, chars: int) -> None:
        """Forget the oldest `chars` characters of the tail (counted as hidden)."""
        runs = self._runs()
        while chars > 0:
            name, text = runs[0]
            cut = text[:chars]
            self.hidden_lines += cut.count("\n")
            self.hidden_chars += len(cut)
            self.tail_chars -= len(cut)
            chars -= len(cut)
            if len(cut) == len(text):
                runs.pop(0)
            else:
                runs[0] = (name, text[len(cut):])
        self.tail = [text for _, text in runs]
        self.tail_runs = [(k, name) for k, (name, _) in enumerate(runs)]
        now = time.monotonic()
        if now - self.noted_at >= 0.25:  # the note counts what is held back, as it grows
            self.noted_at = now
            held = "".join(self.tail)
            self._note(self.hidden_lines + held.count("\n"), self.hidden_chars + len(held),
                       final=False)

    def _note(self, lines: int, chars: int, final: bool) -> None:
        self.emit({"type": "hidden", "lines": lines, "chars": chars, "final": final,
                   "head": self.HEAD, "tail": self.TAIL})

    def end(self) -> None:
        """Send everything: the waiting text, then (past the head) the note and the tail,
        which starts at a line's start where it can."""
        self.flush()
        if not self.tail:
            return
        if self.tail_chars > self.TAIL:
            self._drop(self.tail_chars - self.TAIL)
        held = "".join(self.tail)
        newline = held.find("\n") + 1
        if self.hidden_chars and 0 < newline < len(held):  # start it at a line's start
            self._drop(newline)
        self._note(self.hidden_lines, self.hidden_chars, final=True)
        for name, text in self._runs():
            self._wait(name, text)
        self.tail, self.tail_runs, self.tail_chars = [], [], 0
        self.hidden_lines = self.hidden_chars = 0
        self.flush()

    def _runs(self) -> list[tuple[str, str]]:
        """The tail as (stream name, text), one per run of one stream's pieces."""
        ends = [start for start, _ in self.tail_runs[1:]] + [len(self.tail)]
        return [(name, "".join(self.tail[start:end]))
                for (start, name), end in zip(self.tail_runs, ends)]


class _Stream:
    """sys.stdout / sys.stderr for a cell, writing into its Printed."""

    def __init__(self, name: str, printed: Printed) -> None:
        self.name, self.printed = name, printed

    def write(self, text: str) -> int:
        if text:
            self.printed.write(self.name, text)
        return len(text)

    def flush(self) -> None:
        if not self.printed.cut:
            self.printed.flush()

    def isatty(self) -> bool:
        return False


class Kernel:
    """One lesson's namespace, and the cells run in it."""

    def __init__(self, emit: Callable[[Output], None]) -> None:
        self.emit = emit
        self.namespace: dict[str, Any] = {"__name__": "__main__", "display": self.display}
        self.count = 0
        self.printed: Printed | None = None  # the running cell's printed text

    def display(self, *objects: Any) -> None:
        """Show each object as Jupyter's display() does."""
        for obj in objects:
            self._send({"type": "display", "data": mime_bundle(obj)})

    def _send(self, output: Output) -> None:  # after the text printed before it
        if self.printed is not None:
            self.printed.end()
        self.emit(output)

    def run(self, code: str, name: str = CELL) -> bool:
        """Run one cell (`name`, e.g. "<cell 3>", names it in tracebacks); True if it finished
        without an error."""
        self.count += 1
        # the cell's lines, for tracebacks (as IPython keeps them)
        linecache.cache[name] = (len(code), None, code.splitlines(keepends=True), name)
        streams = sys.stdin, sys.stdout, sys.stderr
        self.printed = printed = Printed(self.emit)
        sys.stdin = _NoInput()
        sys.stdout, sys.stderr = _Stream("stdout", printed), _Stream("stderr", printed)
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
            sys.stdin, sys.stdout, sys.stderr = streams
            printed.end()
            self.printed = None

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
        self._send({"type": "error", "ename": type(e).__name__, "evalue": str(e),
                   "traceback": ("Traceback (most recent call last):\n" if keep else "")
                   + "".join(lines)})
