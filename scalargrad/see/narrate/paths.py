"""Every path from a leaf to the output: the product of the local gradients along each path,
and the sum of those products, which is the leaf's gradient (`explain_paths`)."""

from __future__ import annotations

import math
from typing import (
    Any,
    NamedTuple,
    Sequence,
    Union,
)

from scalargrad import graph
from scalargrad.graph import topological_order
from scalargrad.node import _as_float
from scalargrad.see.narrate.explain import replay_gradients
from scalargrad.see.text import format_number, node_names, safe_text
from scalargrad.value import Value

NodeRef = Union[Value, str]


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
        from scalargrad.see.display.cards import path_view_html

        return path_view_html(self)

    def _repr_markdown_(self) -> str:
        from scalargrad.see.display.cards import path_view_markdown

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
                tuple(safe_text(order[i]._op) for i in consumers), locals_, product)
