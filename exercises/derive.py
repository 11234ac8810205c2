"""Derivations told in the lesson's words, from a run: the backward pass of a labelled graph
(upstream × local gradient = downstream, and the sums where a value is used twice), and the
forward tangent pass (tangent out = Σ local gradient × tangent in).

Both read each node's local gradients from its own op (`scalargrad.graph.local_gradients`),
the same numbers `backward()` uses: no second table of derivatives. `--reveal` and the
answer key (docs/answers.md) print these lines.
"""

from __future__ import annotations

from typing import Sequence

from scalargrad import Value
from scalargrad.graph import local_gradients, topological_order
from scalargrad.see.text import format_number


def fmt(x: float) -> str:
    return format_number(x, 6)


def const(x: float) -> Value:
    """A constant, labelled by its number (as the demos draw it)."""
    return Value(x, label=fmt(x))


def _sum(xs: Sequence[float]) -> str:
    return " + ".join(fmt(x) if i == 0 or x >= 0 else f"({fmt(x)})" for i, x in enumerate(xs))


def _name(node: Value, names: dict[Value, str]) -> str:
    if node not in names:
        names[node] = node.label or f"v{len(names)}"
    return names[node]


def _formula(node: Value, names: dict[Value, str]) -> str:
    ps = [_name(p, names) for p in node._prev]
    op = node._op
    if len(ps) == 2 and op in ("+", "*", "-", "/"):
        return f"{ps[0]} {'·' if op == '*' else op} {ps[1]}"
    if op.startswith("**"):
        return f"{ps[0]}{'²' if op == '**2' else '^' + op[2:]}"
    return f"{op}({', '.join(ps)})"


def backward_lines(root: Value) -> list[str]:
    """The backward pass from `root`, one line per node, then each sum of contributions."""
    order = topological_order(root)
    names: dict[Value, str] = {}
    grads = {node: 0.0 for node in order}
    got: dict[Value, list[float]] = {node: [] for node in order}
    grads[root] = 1.0
    lines = [f"seed: ∂{_name(root, names)}/∂{_name(root, names)} = 1"]
    for node in reversed(order):
        if not node._prev:
            continue
        up = grads[node]
        if node is not root and len(got[node]) > 1:
            lines.append(f"  {_name(node, names)} is used {len(got[node])} times: its grad is "
                         f"the sum {_sum(got[node])} = {fmt(up)}")
        sends = []
        for parent, local in zip(node._prev, local_gradients(node)):
            down = up * local
            grads[parent] += down
            got[parent].append(down)
            sends.append(f"{_name(parent, names)} gets {fmt(up)} × {fmt(local)} = {fmt(down)}")
        lines.append(f"{_name(node, names)} = {_formula(node, names)} = {fmt(node.data)}, "
                     f"upstream {fmt(up)}: " + "; ".join(sends))
    for node in order:
        if not node._prev and len(got[node]) > 1:
            lines.append(f"  {_name(node, names)} is used {len(got[node])} times: its grad is "
                         f"the sum {_sum(got[node])} = "
                         f"{fmt(grads[node])}")
    return lines


def forward_lines(root: Value, tangents: dict[Value, float]) -> list[str]:
    """The forward tangent pass up to `root`, the leaves' tangents given (others 0)."""
    order = topological_order(root)
    names: dict[Value, str] = {}
    tan: dict[Value, float] = {}
    lines = []
    for node in order:
        if not node._prev:
            tan[node] = tangents.get(node, 0.0)
            if node in tangents:
                lines.append(f"tangent in: {_name(node, names)}̇ = {fmt(tan[node])}")
            continue
        terms = [(local, tan[p], p) for p, local in zip(node._prev, local_gradients(node))]
        tan[node] = sum(local * t for local, t, _ in terms)
        said = " + ".join(f"{fmt(local)} × {fmt(t)}" for local, t, _ in terms)
        lines.append(f"{_name(node, names)} = {_formula(node, names)} = {fmt(node.data)}: "
                     f"tangent out = {said} = {fmt(tan[node])}")
    return lines


def dot_line(grad: Sequence[float], direction: Sequence[float]) -> str:
    terms = " + ".join(f"{fmt(g)} × {fmt(d)}" for g, d in zip(grad, direction))
    return (f"∇f · direction = {terms} = "
            f"{fmt(sum(g * d for g, d in zip(grad, direction)))}")
