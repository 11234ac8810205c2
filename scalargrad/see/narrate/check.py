"""The check overlay: finite differences on every leaf and every local gradient of a graph
(`check_graph`), so a wrong op shows up as the node where the numbers disagree."""

from __future__ import annotations

import math
from typing import (
    Any,
    Callable,
    NamedTuple,
    Sequence,
)

from scalargrad import graph
from scalargrad.graph import topological_order
from scalargrad.see.text import format_number, node_names, safe_text
from scalargrad.value import Value

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
        from scalargrad.see.display.cards import graph_check_html

        return graph_check_html(self)

    def _repr_markdown_(self) -> str:
        from scalargrad.see.display.cards import graph_check_markdown

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
    unchecked = tuple(f"{names[i]} ({safe_text(node._op)})" for i, node in enumerate(order)
                      if node._prev and forwards[i] is None)
    analytic = _engine_gradients(root, order)

    if f is not None:
        from scalargrad.gradcheck import numerical_gradient

        numeric = numerical_gradient(f, *[order[i].data for i in leaf_indices], eps=eps)
    else:
        missing = [f"{names[i]} ({safe_text(node._op)})" for i, node in enumerate(order)
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
            local_checks.append(LocalCheck(i, names[i], safe_text(node._op), k,
                                           names[index[parent]], local, fd,
                                           _agree(local, fd, atol, rtol)))
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
