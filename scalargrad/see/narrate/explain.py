"""The backward pass, narrated: upstream, local gradient, downstream, node by node.

`explain(root)` walks the graph in reverse topological order and records, for every node, the
gradient arriving at it (its *upstream*, ∂L/∂node), and for every input it was computed from the
*local gradient* ∂node/∂input and the *downstream* contribution upstream × local that flows
into that input. A node used by several consumers collects one contribution from each, and its
gradient is their sum (the multivariate chain rule):  a.grad = 1.0 + 1.0 = 2.0.

`explain_paths(root, leaf)` shows the same sum another way: every path from the leaf to the
output, the product of the local gradients along it, and the sum of those products.

Every local gradient and downstream here comes from the op itself: its `_backward` closure,
called with the upstream (the downstream the engine adds) or with 1 (the local gradient, as
every closure is linear in its upstream), through the one shared walk in `graph.py`. How an op
is written comes from its declaration (`ops.py`). Walks are iterative, so a graph a million
nodes deep works.
"""

from __future__ import annotations

import re
from typing import (
    Any,
    NamedTuple,
    Sequence,
)

from scalargrad import graph
from scalargrad.graph import topological_order
from scalargrad.node import _as_float
from scalargrad.see.narrate.lookup import NodeLookup, NodeRef
from scalargrad.see.text import format_number, node_names, safe_text
from scalargrad.value import Value


def replay_gradients(order: Sequence[Value], seed: float = 1.0) -> list[float]:
    """∂root/∂node for every node of `order` (root last), from the ops' own closures.

    The same chain rule as `backward()` (downstream = upstream × local gradient, summed over
    consumers), computed into a fresh list: no node's `grad` is read or written.
    """
    return graph.replay(order, seed)


# -- the trace ---------------------------------------------------------------------------------


class Contribution(NamedTuple):
    """One edge of the backward pass: what a node sends to one of its inputs."""

    input_index: int  # the input's topological index
    input_name: str
    local: float  # ∂node/∂input
    downstream: float  # upstream × local, added into input.grad


class Step(NamedTuple):
    """One node of the backward pass: the gradient arriving at it and what it sends on."""

    index: int  # type: ignore[assignment]  # topological index (0 = first leaf, len - 1 = the root)
    name: str
    op: str  # "" for a leaf
    data: float
    upstream: float  # ∂root/∂node: this node's gradient
    inputs: tuple[Contribution, ...]  # one per use of an input, in the op's argument order

    @property
    def is_leaf(self) -> bool:
        return not self.op and not self.inputs


class GradientSum(NamedTuple):
    """A node's gradient written as the sum of the contributions it received.

    `terms` pairs each consumer's name with its downstream contribution, ordered as the
    expression was built (consumers by topological index, then argument position). `before`
    is what a leaf held before this pass (gradients accumulate into leaves); `seed` is the
    starting gradient when the node is the root.
    """

    index: int  # type: ignore[assignment]
    name: str
    terms: tuple[tuple[str, float], ...]
    total: float
    before: float = 0.0
    seed: float | None = None

    def formula(self, digits: int = 6) -> str:
        """The sum as text: "a.grad = 1.0 + 1.0 = 2.0"."""
        fmt = lambda x: format_number(x, digits)  # noqa: E731
        parts = []
        if self.before:
            parts.append(f"{fmt(self.before)} (before)")
        if self.seed is not None:
            parts.append(f"{fmt(self.seed)} (seed)")
        parts.extend(fmt(value) for _, value in self.terms)
        if not parts:
            return f"{self.name}.grad = {fmt(self.total)} (not used by the output)"
        if len(parts) == 1 and self.seed is None and not self.before:
            return f"{self.name}.grad = {parts[0]}"
        joined = " + ".join(parts).replace("+ -", "- ")
        if len(parts) == 1:
            return f"{self.name}.grad = {joined}"
        return f"{self.name}.grad = {joined} = {fmt(self.total)}"

    def __str__(self) -> str:
        return self.formula()

    def _repr_html_(self) -> str:  # Jupyter: the formula and each contribution
        from scalargrad.see.display.cards import gradient_sum_html

        return gradient_sum_html(self)

    def _repr_markdown_(self) -> str:
        from scalargrad.see.display.cards import gradient_sum_markdown

        return gradient_sum_markdown(self)


_COLUMNS = ("node", "op", "data", "upstream", "input", "local grad", "downstream")


class Trace:
    """A narrated backward pass: `steps` in reverse topological order and every node's sum.

    `str(trace)` is a readable table, `trace.to_markdown()` and `trace.to_latex()` render the
    same for notes and slides. `trace.step(name_or_node)` and `trace.gradient(name_or_node)`
    look one node up.
    """

    def __init__(self, order: Sequence[Value], names: Sequence[str], steps: Sequence[Step],
                 sums: Sequence[GradientSum], seed: float, source: str = "") -> None:
        self.source = source  # where the gradients shown come from, in a sentence
        self.steps: tuple[Step, ...] = tuple(steps)
        self.sums: tuple[GradientSum, ...] = tuple(sums)
        self.seed = seed
        self.root_name = names[-1]
        self._lookup = NodeLookup(order, names)  # a Value or a name -> its position in order
        self._steps_by_index = {s.index: s for s in self.steps}
        self._sums_by_index = {s.index: s for s in self.sums}

    def step(self, ref: NodeRef) -> Step:
        """The step of one node, by Value or by name."""
        return self._steps_by_index[self._lookup(ref)]

    def gradient(self, ref: NodeRef) -> GradientSum:
        """One node's gradient as a sum of contributions, by Value or by name."""
        return self._sums_by_index[self._lookup(ref)]

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        root = self.steps[0]
        return (f"Trace({len(self.steps)} nodes, root {root.name} = "
                f"{format_number(root.data)}, seed {format_number(self.seed)})")

    def rows(self, digits: int = 6) -> list[tuple[str, ...]]:
        """The table's rows as strings: one per (node, input) edge, one per leaf."""
        fmt = lambda x: format_number(x, digits)  # noqa: E731
        rows: list[tuple[str, ...]] = []
        for s in self.steps:
            head = (s.name, s.op or "leaf", fmt(s.data), fmt(s.upstream))
            if not s.inputs:
                rows.append((*head, "", "", ""))
            for k, c in enumerate(s.inputs):
                cells = head if k == 0 else ("", "", "", "")
                rows.append((*cells, c.input_name, fmt(c.local), fmt(c.downstream)))
        return rows

    def to_text(self, digits: int = 6) -> str:
        """The trace as a plain-text table followed by every gradient as a sum."""
        rows = [_COLUMNS, *self.rows(digits)]
        widths = [max(len(r[k]) for r in rows) for k in range(len(_COLUMNS))]
        line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
        out = [f"Backward pass from {self.root_name}, seed upstream "
               f"{format_number(self.seed, digits)} (downstream = upstream × local grad)",
               *([self.source] if self.source else []),
               "", line(rows[0]), line(tuple("-" * w for w in widths))]
        out.extend(line(r) for r in rows[1:])
        out += ["", "Gradients (each the sum of the downstream contributions it received):"]
        out.extend("  " + s.formula(digits) for s in self.sums)
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:  # Jupyter shows a trace as a table
        return self.to_markdown()

    def to_markdown(self, digits: int = 6) -> str:
        """The trace as a Markdown table and a list of sums, every label escaped."""
        from scalargrad.see.display.cards import trace_markdown

        return trace_markdown(self, digits, max_rows=None)

    def to_latex(self, digits: int = 6) -> str:
        """The trace as a LaTeX tabular and an align* block of sums (needs amsmath)."""
        header = ("node & op & data & upstream & input & local gradient & downstream")
        out = [r"\begin{tabular}{llrrlrr}", r"\hline", header + r" \\", r"\hline"]
        for r in self.rows(digits):
            out.append(" & ".join(_latex_escape(c) for c in r) + r" \\")
        out += [r"\hline", r"\end{tabular}", "", r"\begin{align*}"]
        for s in self.sums:
            name, _, rest = s.formula(digits).partition(" = ")
            out.append(rf"\texttt{{{_latex_escape(name)}}} &= {_latex_math(rest)} \\")
        out.append(r"\end{align*}")
        return "\n".join(out)

    def _repr_html_(self) -> str:  # Jupyter: the table, with every label HTML-escaped
        from scalargrad.see.display.cards import trace_html

        return trace_html(self)


def _latex_math(text: str) -> str:
    """A sum's right-hand side for math mode: the words in brackets set as text, not italics."""
    return re.sub(r"\(([a-z ]+)\)", r"\\text{ (\1)}", _latex_escape(text))


def _latex_escape(text: str) -> str:
    table = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
             "^": r"\textasciicircum{}", "×": r"$\times$", "…": r"\ldots{}"}
    return "".join(table.get(ch, ch) for ch in text)


def explain(root: Value, grad: float = 1.0, *, run_backward: bool | None = None) -> Trace:
    """Run (or replay) the backward pass from `root` and return it narrated, node by node.

    By default (`run_backward=None`) it looks first: if every `.grad` already holds what a
    backward pass from `root` gives (you called `root.backward()` yourself), it narrates
    those gradients and changes nothing; otherwise it calls `root.backward(grad)`, so that
    afterwards every `.grad` is filled in. The trace says which it did (`trace.source`).

    With `run_backward=True` it always calls `root.backward(grad)` and reports exactly the
    numbers the engine produced. Gradients accumulate into leaves, so a leaf's sum then
    starts with what it held before ("(before)"); call `root.zero_grad()` first for a fresh
    pass. With `run_backward=False` nothing is changed: the pass is replayed from the stored
    local gradients into a private table, as a fresh pass seeded with `grad`.

    For each node (reverse topological order): the op, its upstream ∂root/∂node, and for each
    input its local gradient ∂node/∂input and the downstream upstream × local.
    """
    seed = _as_float(grad, "explain grad")
    order = topological_order(root)
    names = node_names(order)
    index = {node: i for i, node in enumerate(order)}
    before = [0.0] * len(order)
    if run_backward is None:
        grads = replay_gradients(order, seed)
        if _already_in_place(order, grads):
            source = ("These are the gradients already in place (from an earlier backward "
                      "call); nothing was run again.")
        else:
            run_backward = True
    if run_backward:
        for i, node in enumerate(order):
            if not node._prev:
                before[i] = _number(node.grad)
        root.backward(seed)
        grads = [_number(node.grad) for node in order]
        source = f"explain ran {names[-1]}.backward() now; every .grad is filled in."
    elif run_backward is False:
        grads = replay_gradients(order, seed)
        source = "Replayed from the stored local gradients; no .grad was changed."

    received: list[list[tuple[int, int, float]]] = [[] for _ in order]
    steps = []
    for i in range(len(order) - 1, -1, -1):
        node = order[i]
        upstream = grads[i]
        contributions = []
        # (downstream: exactly what backward adds)
        for k, (parent, local, down) in enumerate(graph.edges(node, upstream)):
            j = index[parent]
            received[j].append((i, k, down))
            contributions.append(Contribution(j, names[j], local, down))
        steps.append(Step(i, names[i], safe_text(node._op), node.data, upstream,
                          tuple(contributions)))

    sums = []
    root_index = len(order) - 1
    for i in range(root_index, -1, -1):
        terms = tuple((names[c], d) for c, _, d in sorted(received[i], key=lambda t: t[:2]))
        sums.append(GradientSum(i, names[i], terms, grads[i], before[i],
                                seed if i == root_index else None))
    return Trace(order, names, steps, sums, seed, source)


def _number(grad: Any) -> float:
    """A grad as a float (a Value after backward(create_graph=True))."""
    return grad if isinstance(grad, float) else getattr(grad, "data", grad)


def _already_in_place(order: Sequence[Value], grads: Sequence[float]) -> bool:
    """True when every node's .grad is what a fresh backward pass from the root gives."""
    for node, g in zip(order, grads):
        mine = _number(node.grad)
        if not (mine == g or (mine != mine and g != g)):
            return False
    return True
