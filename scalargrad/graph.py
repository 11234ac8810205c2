"""Walks over a computation graph: topological order and the backward pass.

Both are iterative (an explicit stack, no recursion), so a graph a million nodes deep works
with Python's default recursion limit, and both keep their bookkeeping in local variables:
nothing is stored on the nodes but `grad`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .value import Value


class GraphCycleError(RuntimeError):
    """The graph has a cycle, so it has no topological order (a node's `_prev` was edited)."""


def topological_order(root: Value) -> list[Value]:
    """Every node that `root` depends on, `root` included, each listed after all its parents.

    Depth-first, parents visited in their stored order, so the order is the same on every
    run. Raises GraphCycleError if a node turns out to depend on itself.
    """
    order: list[Value] = []
    # A node maps to True while it is on the current path and to False once it is listed.
    on_path: dict[Value, bool] = {root: True}
    stack = [(root, iter(root._prev))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            state = on_path.get(parent)
            if state is None:
                if parent._prev:
                    on_path[parent] = True
                    stack.append((parent, iter(parent._prev)))
                    break
                on_path[parent] = False  # a leaf: nothing to visit below it
                order.append(parent)
            elif state:
                raise GraphCycleError(_cycle_message(parent, [n for n, _ in stack]))
        else:
            stack.pop()
            on_path[node] = False
            order.append(node)
    return order


def backward(root: Value, grad: float = 1.0) -> None:
    """Reverse-mode pass from `root`: downstream = upstream × local gradient, per edge.

    Interior nodes get a fresh gradient (reset to 0, then accumulated over their consumers);
    leaves accumulate into whatever `grad` they already hold.
    """
    order = topological_order(root)
    for node in order:
        if node._prev:
            node.grad = 0.0
    root.grad += grad
    for node in reversed(order):
        upstream = node.grad
        for parent, local in zip(node._prev, node._local):
            parent.grad += local * upstream


def _cycle_message(node: Value, path: list[Value]) -> str:
    start = next(i for i, n in enumerate(path) if n is node)
    ops = " -> ".join(n._op or "leaf" for n in path[start:])
    return (f"the graph has a cycle: {node!r} depends on itself (ops along the cycle: {ops}); "
            "a node's _prev was probably edited by hand")
