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
    return _depth_first(root, with_leaves=True)


def backward(root: Value, grad: float = 1.0) -> None:
    """Reverse-mode pass from `root`: downstream = upstream × local gradient, per edge.

    Interior nodes get a fresh gradient (reset to 0, then accumulated over their consumers);
    leaves accumulate into whatever `grad` they already hold.
    """
    interior = _depth_first(root, with_leaves=False)  # leaves have nothing to pass down
    for node in interior:
        node.grad = 0.0
    root.grad += grad
    for node in reversed(interior):
        upstream = node.grad
        local = node._local
        i = 0
        for parent in node._prev:  # (an index, not zip(): no iterator per node, 2× faster)
            parent.grad += local[i] * upstream
            i += 1


def _depth_first(root: Value, with_leaves: bool) -> list[Value]:
    """The nodes under `root` in depth-first post-order (parents first), leaves optional.

    The stack holds bare nodes: a node is pushed once to be opened (it then goes back on the
    stack under its parents) and popped a second time to be listed. Pushing no tuples or
    iterators means a walk over a million nodes creates no objects for the garbage
    collector to chase, which keeps deep graphs as fast per node as shallow ones.
    """
    order: list[Value] = []
    # A node maps to True while it is open (on the current path) and to False once listed.
    open_: dict[Value, bool] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        state = open_.get(node)
        if state is None:  # first visit: list its parents first, then come back to it
            parents = node._prev
            if parents:
                open_[node] = True
                stack.append(node)
                for parent in reversed(parents):  # reversed: the first parent is popped first
                    if with_leaves or parent._prev:  # (backward never visits leaves at all)
                        seen = open_.get(parent)
                        if seen is None:
                            stack.append(parent)
                        elif seen:
                            raise GraphCycleError(_cycle_message(parent, stack, open_))
            else:
                open_[node] = False
                if with_leaves:
                    order.append(node)
        elif state:  # second visit: every parent is listed
            open_[node] = False
            order.append(node)
    return order


def _cycle_message(node: Value, stack: list[Value], open_: dict[Value, bool]) -> str:
    # The open nodes, in the order they were opened, are the current path from the root.
    path = list(dict.fromkeys(n for n in reversed(stack) if open_.get(n)))[::-1]
    start = path.index(node)
    ops = " -> ".join(n._op or "leaf" for n in path[start:])
    return (f"the graph has a cycle: {node!r} depends on itself (ops along the cycle: {ops}); "
            "a node's _prev was probably edited by hand")
