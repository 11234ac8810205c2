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

import math
import re
from collections import Counter
from typing import Any, Callable, NamedTuple, Sequence, Union

from . import graph
from .graph import topological_order
from .value import Value, _as_float

__all__ = [
    "Contribution",
    "GradientSum",
    "GraphCheck",
    "LeafCheck",
    "LocalCheck",
    "Path",
    "PathView",
    "Step",
    "Trace",
    "check_graph",
    "explain",
    "explain_paths",
    "format_number",
    "node_names",
    "replay_gradients",
]

NodeRef = Union[Value, str]


# -- shared helpers (also used by draw.py and frames.py) ---------------------------------------


def format_number(x: float, digits: int = 6) -> str:
    """x with `digits` significant digits, always with a decimal point ("1.0", "-0.25", "2e-07").

    Negative zero prints as 0.0: −z at z = 0 is mathematically 0, and "-0.0" only distracts.
    """
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x + 0.0:.{digits}g}"
    if text.lstrip("-").isdigit():
        text += ".0"
    return text


def node_names(order: Sequence[Value]) -> list[str]:
    """A name for every node of `order`: its label, or v<i> (its topological index) if unlabeled.

    A label used by more than one node gets its index appended (w#3, w#7), so names are unique
    and the same on every run (they never depend on `id()`).
    """
    counts = Counter(node.label for node in order if node.label)
    names = []
    for i, node in enumerate(order):
        if not node.label:
            names.append(f"v{i}")
        elif counts[node.label] > 1:
            names.append(f"{node.label}#{i}")
        else:
            names.append(node.label)
    return names


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
        from .display import gradient_sum_html

        return gradient_sum_html(self)

    def _repr_markdown_(self) -> str:
        from .display import gradient_sum_markdown

        return gradient_sum_markdown(self)


_COLUMNS = ("node", "op", "data", "upstream", "input", "local grad", "downstream")


class Trace:
    """A narrated backward pass: `steps` in reverse topological order and every node's sum.

    `str(trace)` is a readable table, `trace.to_markdown()` and `trace.to_latex()` render the
    same for notes and slides. `trace.step(name_or_node)` and `trace.gradient(name_or_node)`
    look one node up.
    """

    def __init__(self, order: Sequence[Value], names: Sequence[str], steps: Sequence[Step],
                 sums: Sequence[GradientSum], seed: float) -> None:
        self.steps: tuple[Step, ...] = tuple(steps)
        self.sums: tuple[GradientSum, ...] = tuple(sums)
        self.seed = seed
        self.root_name = names[-1]
        self._names = list(names)
        self._index = {node: i for i, node in enumerate(order)}
        self._by_name = {name: i for i, name in enumerate(names)}
        self._steps_by_index = {s.index: s for s in self.steps}
        self._sums_by_index = {s.index: s for s in self.sums}

    def _lookup(self, ref: NodeRef) -> int:
        if isinstance(ref, Value):
            if ref not in self._index:
                raise KeyError(f"{ref!r} is not a node of this trace's graph")
            return self._index[ref]
        if ref not in self._by_name:
            raise KeyError(f"no node named {ref!r} in this trace; names: "
                           f"{', '.join(self._names[:20])}{' …' if len(self._names) > 20 else ''}")
        return self._by_name[ref]

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
        from .display import trace_markdown

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
        from .display import trace_html

        return trace_html(self)


def _latex_math(text: str) -> str:
    """A sum's right-hand side for math mode: the words in brackets set as text, not italics."""
    return re.sub(r"\(([a-z ]+)\)", r"\\text{ (\1)}", _latex_escape(text))


def _latex_escape(text: str) -> str:
    table = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
             "^": r"\textasciicircum{}", "×": r"$\times$", "…": r"\ldots{}"}
    return "".join(table.get(ch, ch) for ch in text)


def explain(root: Value, grad: float = 1.0, *, run_backward: bool = True) -> Trace:
    """Run (or replay) the backward pass from `root` and return it narrated, node by node.

    With `run_backward=True` (the default) this calls `root.backward(grad)` — so afterwards
    every `.grad` is filled in, just as if you had called backward yourself — and the trace
    reports exactly the numbers the engine produced. Gradients accumulate into leaves, so a
    leaf's sum then starts with what it held before ("(before)"); call `root.zero_grad()`
    first for a fresh pass.

    With `run_backward=False` nothing is changed: the pass is replayed from the stored local
    gradients into a private table, as a fresh pass seeded with `grad` (use it after you have
    already called backward, or to narrate without side effects).

    For each node (reverse topological order): the op, its upstream ∂root/∂node, and for each
    input its local gradient ∂node/∂input and the downstream upstream × local.
    """
    seed = _as_float(grad, "explain grad")
    order = topological_order(root)
    names = node_names(order)
    index = {node: i for i, node in enumerate(order)}
    before = [0.0] * len(order)
    if run_backward:
        for i, node in enumerate(order):
            if not node._prev:
                before[i] = node.grad
        root.backward(seed)
        grads = [node.grad for node in order]
    else:
        grads = replay_gradients(order, seed)

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
        steps.append(Step(i, names[i], node._op, node.data, upstream, tuple(contributions)))

    sums = []
    root_index = len(order) - 1
    for i in range(root_index, -1, -1):
        terms = tuple((names[c], d) for c, _, d in sorted(received[i], key=lambda t: t[:2]))
        sums.append(GradientSum(i, names[i], terms, grads[i], before[i],
                                seed if i == root_index else None))
    return Trace(order, names, steps, sums, seed)


# -- the path view -----------------------------------------------------------------------------


class Path(NamedTuple):
    """One path from a leaf to the output: the nodes along it and the local gradient of each edge.

    `names[0]` is the leaf and `names[-1]` the output; `locals[k]` is ∂names[k+1]/∂names[k].
    """

    names: tuple[str, ...]
    ops: tuple[str, ...]  # the op of names[k+1], the node each edge enters
    locals: tuple[float, ...]
    product: float  # Π locals

    def to_text(self, digits: int = 6) -> str:
        fmt = lambda x: format_number(x, digits)  # noqa: E731
        parts = [self.names[0]]
        for name, local in zip(self.names[1:], self.locals):
            parts.append(f" -(×{fmt(local)})-> {name}")
        product = " × ".join(fmt(x) for x in self.locals) or "1.0"
        if len(self.locals) > 1:
            product += f" = {fmt(self.product)}"
        return "".join(parts) + f"    product {product}"

    def __str__(self) -> str:
        return self.to_text()


class PathView(NamedTuple):
    """Every path from `leaf` to `root`, and their sum: the multivariate chain rule, visible.

    ∂root/∂leaf = seed × Σ over paths of Π (local gradients along the path). `count` is the
    number of paths (it can grow exponentially with depth: only the first `max_paths` are
    listed, and `truncated` says so); `gradient` is the leaf's gradient from a fresh backward
    replay, so `total == gradient` up to rounding when nothing is truncated.
    """

    leaf: str
    root: str
    paths: tuple[Path, ...]
    count: int  # type: ignore[assignment]
    seed: float
    total: float  # seed × Σ products of the listed paths
    gradient: float
    truncated: bool

    def to_text(self, digits: int = 6) -> str:
        fmt = lambda x: format_number(x, digits)  # noqa: E731
        out = [f"Paths from {self.leaf} to {self.root}: ∂{self.root}/∂{self.leaf} is the sum over "
               "paths of the product of the local gradients along each path"]
        out.extend("  " + p.to_text(digits) for p in self.paths)
        terms = " + ".join(fmt(p.product) for p in self.paths).replace("+ -", "- ")
        seed = "" if self.seed == 1.0 else f"{fmt(self.seed)} × "
        if self.truncated:
            out.append(f"  … {self.count - len(self.paths)} more paths not listed "
                       f"({self.count} in all; raise max_paths (or max_edges, for long paths) "
                       "to list them)")
            out.append(f"{self.leaf}.grad = {fmt(self.gradient)} (the listed paths sum to "
                       f"{fmt(self.total)})")
        elif self.count == 0:
            out.append(f"no path: {self.root} does not depend on {self.leaf}, "
                       f"so {self.leaf}.grad = 0.0")
        else:
            noun = "path" if self.count == 1 else "paths"
            out.append(f"sum over {self.count} {noun}: {seed}({terms}) = {fmt(self.total)}"
                       if seed else f"sum over {self.count} {noun}: {terms} = {fmt(self.total)}")
            out.append(f"{self.leaf}.grad = {fmt(self.gradient)}")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:  # Jupyter: one table row per path, then the sum
        from .display import path_view_html

        return path_view_html(self)

    def _repr_markdown_(self) -> str:
        from .display import path_view_markdown

        return path_view_markdown(self)


def explain_paths(root: Value, leaf: Value, grad: float = 1.0, *,
                  max_paths: int = 100, max_edges: int = 10_000) -> PathView:
    """Every path from `leaf` up to `root` with the product of local gradients along it.

    Their sum (times the seed `grad`) is ∂root/∂leaf: the multivariate chain rule. Nothing is
    mutated. An edge is one use, so in `a + a` there are two paths from a. Raises ValueError
    if `leaf` is not in the graph of `root`.

    On a big graph the listing is capped: at most `max_paths` paths, and at most `max_edges`
    edges over all listed paths (a path through a deep graph can be as long as the graph), so
    the view stays small; `truncated` says so, and `gradient` is still the full answer.
    """
    seed = _as_float(grad, "explain_paths grad")
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    if leaf not in index:
        raise ValueError(f"explain_paths: {leaf!r} is not in the graph of {root!r}")
    target = index[leaf]
    names = node_names(order)

    # How many paths lead from each node down to the leaf (0 for nodes that do not reach it).
    count = [0] * len(order)
    count[target] = 1
    for i in range(target + 1, len(order)):
        count[i] = sum(count[index[p]] for p in order[i]._prev)

    paths: list[Path] = []
    if count[-1]:
        # Depth-first from the root, one edge per use, only into nodes that reach the leaf.
        edges: list[tuple[int, float]] = []  # (node entered from below, local gradient)
        locals_of: dict[int, tuple[float, ...]] = {}

        def edges_of(i: int) -> Any:
            if i not in locals_of:
                locals_of[i] = graph.local_gradients(order[i])
            return iter(zip(order[i]._prev, locals_of[i]))

        stack = [(len(order) - 1, edges_of(len(order) - 1))]
        listed = 0  # edges in the listed paths
        while stack and len(paths) < max_paths:
            i, it = stack[-1]
            if i == target:
                listed += len(edges)
                if listed > max_edges:
                    break
                paths.append(_path_from(edges, target, order, names))
                stack.pop()
                if edges:
                    edges.pop()
                continue
            for parent, local in it:
                j = index[parent]
                if count[j]:
                    edges.append((i, local))
                    stack.append((j, edges_of(j)))
                    break
            else:
                stack.pop()
                if edges:
                    edges.pop()
    total = seed * math.fsum(p.product for p in paths)
    gradient = replay_gradients(order, seed)[target]
    return PathView(names[target], names[-1], tuple(paths), count[-1], seed, total, gradient,
                    count[-1] > len(paths))


def _path_from(edges: list[tuple[int, float]], target: int, order: Sequence[Value],
               names: Sequence[str]) -> Path:
    """The path leaf → root from the stack of (consumer, local) edges taken from the root down."""
    consumers = [i for i, _ in reversed(edges)]
    locals_ = tuple(local for _, local in reversed(edges))
    product = 1.0
    for local in locals_:
        product *= local
    return Path((names[target], *(names[i] for i in consumers)),
                tuple(order[i]._op for i in consumers), locals_, product)


# -- the check overlay: finite differences on every leaf and every local gradient ---------------


class LeafCheck(NamedTuple):
    """A leaf's gradient from backward vs central finite differences of the whole graph."""

    index: int  # type: ignore[assignment]
    name: str
    at: float
    analytic: float
    numeric: float
    ok: bool

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        return (f"{self.name} at {format_number(self.at)}: engine {self.analytic!r}, "
                f"finite difference {self.numeric!r} [{verdict}]")


class LocalCheck(NamedTuple):
    """One stored local gradient ∂node/∂input vs finite differences of the node's op alone."""

    index: int  # type: ignore[assignment]
    name: str
    op: str
    position: int
    input_name: str
    analytic: float
    numeric: float
    ok: bool

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        return (f"∂{self.name}/∂{self.input_name} ({self.op}, argument {self.position}): "
                f"stored {self.analytic!r}, finite difference {self.numeric!r} [{verdict}]")


class GraphCheck(NamedTuple):
    """What `check_graph` found; true when every leaf and every checked local gradient agrees.

    `bad_nodes` holds the topological indices to draw in red (leaves whose gradient is off and
    nodes with a wrong local gradient), `bad_edges` the (node, argument position) pairs.
    `unchecked` names the nodes whose op could not be recomputed (custom ops).
    """

    leaves: tuple[LeafCheck, ...]
    locals: tuple[LocalCheck, ...]
    unchecked: tuple[str, ...]
    size: int
    eps: float
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.leaves) and all(c.ok for c in self.locals)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def bad_nodes(self) -> frozenset[int]:
        return frozenset([c.index for c in self.leaves if not c.ok]
                         + [c.index for c in self.locals if not c.ok])

    @property
    def bad_edges(self) -> frozenset[tuple[int, int]]:
        return frozenset((c.index, c.position) for c in self.locals if not c.ok)

    @property
    def message(self) -> str:
        bad_leaves = [c for c in self.leaves if not c.ok]
        bad_locals = [c for c in self.locals if not c.ok]
        leaves = f"{len(self.leaves)} {'leaf' if len(self.leaves) == 1 else 'leaves'}"
        head = (f"check_graph {'passed' if self.ok else 'FAILED'}: {leaves}, "
                f"{len(self.locals)} local gradients checked (eps={self.eps:g}, "
                f"ok when |engine - numeric| <= {self.atol:g} + {self.rtol:g}*|numeric|)")
        lines = [head]
        lines += [f"  leaf {c}" for c in bad_leaves]
        lines += [f"  local {c}" for c in bad_locals]
        if self.unchecked:
            lines.append(f"  local gradients not checked independently (custom ops): "
                         f"{', '.join(self.unchecked)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:  # Jupyter: the verdict, mismatches first
        from .display import graph_check_html

        return graph_check_html(self)

    def _repr_markdown_(self) -> str:
        from .display import graph_check_markdown

        return graph_check_markdown(self)


Forward = Callable[[Sequence[float]], float]


def _forward_of(node: Value) -> Forward | None:
    """The op of `node` as a plain function of its inputs' numbers, from its declaration
    (None for a custom op, whose forward the graph does not know)."""
    kind = node._kind
    if kind is None or kind.is_custom:
        return None
    return kind.forward


def _agree(a: float, n: float, atol: float, rtol: float) -> bool:
    return (a == n or (math.isnan(a) and math.isnan(n))
            or math.isclose(a, n, rel_tol=0.0, abs_tol=atol + rtol * abs(n)))


def _engine_gradients(root: Value, order: Sequence[Value]) -> list[float]:
    """Every node's gradient from a fresh `root.backward()`, leaving all `.grad` as they were."""
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        root.backward()
        return [node.grad for node in order]
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad


def check_graph(root: Value, f: Callable[..., Any] | None = None, *,
                leaves: Sequence[Value] | None = None, eps: float = 1e-6, atol: float = 1e-5,
                rtol: float = 1e-3, max_work: int = 2_000_000) -> GraphCheck:
    """gradcheck for a whole graph: every leaf's gradient and every local gradient.

    Leaves: ∂root/∂leaf from the engine's `backward()` (run on a fresh copy of the gradients;
    every `.grad` is left as it was) against the central difference
    (root(leaf + ε) − root(leaf − ε)) / 2ε, where the graph's forward pass is recomputed from
    its leaves with the stored ops. For a graph with custom ops (`Value.from_op`), pass `f`:
    it is called with one Value per leaf of `leaves` (default: every leaf, in topological
    order) and must compute the root from them.

    Local gradients: each node's stored ∂node/∂input against finite differences of that
    node's op alone, which pinpoints the op whose derivative is wrong. Note that a kink
    (relu or abs at exactly 0) is reported as a mismatch, as in any gradcheck.

    The leaf check recomputes the graph twice per leaf, so its cost grows with leaves × nodes:
    above `max_work` node evaluations (about two seconds) it is refused with a ValueError
    before anything runs; check a few `leaves=`, or a subgraph (`check_graph(inner_node)`).
    """
    order = topological_order(root)
    names = node_names(order)
    index = {node: i for i, node in enumerate(order)}
    if leaves is None:
        leaf_indices = [i for i, node in enumerate(order) if not node._prev]
    else:
        leaf_indices = []
        for leaf in leaves:
            if leaf not in index:
                raise ValueError(f"check_graph: {leaf!r} is not in the graph of the root")
            leaf_indices.append(index[leaf])
    n = len(order)
    work = (2 * len(leaf_indices) * n if f is not None
            else 2 * sum(n - 1 - j for j in leaf_indices))
    if work > max_work:
        raise ValueError(
            f"check_graph: checking {len(leaf_indices):,} leaves by finite differences "
            f"recomputes the graph ({n:,} nodes) twice per leaf: about {work:,} node "
            f"evaluations, more than max_work={max_work:,} (the cost grows as leaves × nodes). "
            "Check a part of it: pass leaves=[...] with a few leaves, or call check_graph on an "
            "inner node (a subgraph), or raise max_work")
    forwards = [_forward_of(node) if node._prev else None for node in order]
    unchecked = tuple(f"{names[i]} ({node._op})" for i, node in enumerate(order)
                      if node._prev and forwards[i] is None)
    analytic = _engine_gradients(root, order)

    if f is not None:
        from .gradcheck import numerical_gradient

        numeric = numerical_gradient(f, *[order[i].data for i in leaf_indices], eps=eps)
    else:
        missing = [f"{names[i]} ({node._op})" for i, node in enumerate(order)
                   if node._prev and forwards[i] is None]
        if missing:
            raise ValueError(f"check_graph: cannot recompute {missing[0]} from its inputs "
                             "(a custom op: the graph knows its backward, not its forward); "
                             "pass f=, a function of the leaves that computes the root")
        numeric = [_numeric_leaf_gradient(order, index, forwards, j, eps) for j in leaf_indices]

    leaf_checks = tuple(
        LeafCheck(j, names[j], order[j].data, analytic[j], n,
                  _agree(analytic[j], n, atol, rtol))
        for j, n in zip(leaf_indices, numeric))

    local_checks = []
    for i, node in enumerate(order):
        fn = forwards[i]
        if fn is None:
            continue
        xs = [p.data for p in node._prev]
        for k, (parent, local) in enumerate(zip(node._prev, graph.local_gradients(node))):
            fd = _central(fn, xs, k, eps)
            local_checks.append(LocalCheck(i, names[i], node._op, k, names[index[parent]],
                                           local, fd, _agree(local, fd, atol, rtol)))
    return GraphCheck(leaf_checks, tuple(local_checks), unchecked, len(order), eps, atol, rtol)


def _central(fn: Forward, xs: list[float], k: int,
             eps: float) -> float:
    """(fn(.., x_k + ε, ..) − fn(.., x_k − ε, ..)) / 2ε, NaN where fn is undefined."""
    try:
        up = fn([*xs[:k], xs[k] + eps, *xs[k + 1:]])
        down = fn([*xs[:k], xs[k] - eps, *xs[k + 1:]])
    except (ArithmeticError, ValueError):
        return math.nan
    return (up - down) / (2 * eps)


def _numeric_leaf_gradient(order: Sequence[Value], index: dict[Value, int],
                           forwards: Sequence[Forward | None],
                           j: int, eps: float) -> float:
    """Central difference of the root in leaf j, recomputing only the nodes that depend on it."""
    results = []
    for delta in (eps, -eps):
        values = [node.data for node in order]
        changed = [False] * len(order)
        values[j] += delta
        changed[j] = True
        try:
            for i in range(j + 1, len(order)):
                node = order[i]
                parents = [index[p] for p in node._prev]
                forward = forwards[i]
                if forward is not None and any(changed[p] for p in parents):
                    values[i] = forward([values[p] for p in parents])
                    changed[i] = True
        except (ArithmeticError, ValueError):
            return math.nan
        results.append(values[-1])
    return (results[0] - results[1]) / (2 * eps)
