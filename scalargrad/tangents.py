"""The chain rule forward: tangent in × local gradient = tangent out.

Forward mode carries a **tangent** with each value: how fast it moves when the inputs move
along a chosen direction. Each node's tangent out is Σ local gradient × tangent in over its
parents, so where a node has two inputs (or uses one input twice) their contributions add,
as gradients add where a value is used twice in the backward pass.

The local gradients are not written again here: they are read from each op's own `_backward`
closure with upstream 1 (`graph.local_gradients`), the numbers the backward pass multiplies by.
So forward mode is right for every op the backward pass is right for: the built-in ops, `sum`
and `dot`, nn's fused losses and a user's `Value.from_op` closures alike.

`tangent_out` is the one place the rule is applied: forward mode's duals apply it as each op
makes its node (`dual.py`); `tangent_pass` runs it over a recorded graph in topological order
(what a narration or a stepper shows, edge by edge), and `tangents_of` finds the tangents of
some nodes from nodes whose tangents are known (a node made by hand, whose tangent waits).
A tangent is `None` where nothing is known to move (a constant): None × anything is nothing,
so an infinite local gradient next to a constant does not turn into NaN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Mapping, Optional, Sequence

from . import graph

if TYPE_CHECKING:
    from .value import Value

__all__ = ["tangent_out", "tangent_pass", "tangents_of"]

Tangent = Optional[float]


def tangent_out(node: Value, tangent_in: Callable[[Value], Tangent]) -> Tangent:
    """`node`'s tangent: Σ local gradient × tangent in, over the parents with a tangent.

    `tangent_in(parent)` gives a parent's tangent (None for a constant); the local gradients
    come from the node's closure. None when no parent carries a tangent (or for a leaf)."""
    parents = node._prev
    if not parents:
        return None
    ins = [tangent_in(p) for p in parents]
    if ins.count(None) == len(ins):
        return None  # nothing moves: the closure is not even asked
    local = graph.local_gradients(node)
    if len(local) != len(parents):
        raise ValueError(f"node {node._op!r} has {len(parents)} parents but its backward gave "
                         f"{len(local)} local gradients; was its _prev edited by hand?")
    total: Tangent = None
    for slope, t in zip(local, ins):
        if t is not None:
            total = slope * t if total is None else total + slope * t
    return total


Visit = Callable[[int, "Value", Sequence[tuple["Value", float, Tangent]], Tangent], None]


def tangent_pass(order: Sequence[Value], seeds: Mapping[Value, float],
                 visit: Optional[Visit] = None) -> list[float]:
    """The forward tangent pass over `order` (a topological order, parents first), seeded
    with `seeds` (node -> tangent, usually the inputs): every node's tangent, 0.0 where none
    reaches it. No node is changed.

    `visit(i, node, edges, tangent)` is called for every interior node in order, with its
    edges in as (parent, local gradient, tangent in) and its tangent out; a seeded node keeps
    its seed (it is not recomputed from its parents).
    """
    index = {node: i for i, node in enumerate(order)}
    known: list[Tangent] = [None] * len(order)
    for node, t in seeds.items():
        if node not in index:
            raise ValueError(f"tangent_pass: the seeded node {node!r} is not in the order")
        known[index[node]] = float(t)

    def tangent_in(parent: Value) -> Tangent:
        return known[index[parent]]

    for i, node in enumerate(order):
        if known[i] is not None or not node._prev:
            continue
        known[i] = tangent_out(node, tangent_in)
        if visit is not None:
            local = graph.local_gradients(node)
            edges = [(p, s, tangent_in(p)) for p, s in zip(node._prev, local)]
            visit(i, node, edges, known[i])
    return [0.0 if t is None else t for t in known]


def tangents_of(roots: Sequence[Value], known: Callable[[Value], Tangent | bool]
                ) -> dict[Value, Tangent]:
    """The tangents of `roots` (and of every node between them and the nodes whose tangents
    are known), by one forward pass over their graph, without recursion.

    `known(node)` returns the node's tangent if it is known (a float, or None for a known
    constant) and False if it must be worked out from its parents; a leaf not known is a
    constant. Returns node -> tangent for every node visited."""
    found: dict[Value, Tangent] = {}
    # depth-first post-order with an explicit stack: a node is pushed to be opened and
    # pushed again (after its parents) to be computed
    stack: list[tuple[Value, bool]] = [(root, False) for root in reversed(roots)]
    opened: set[int] = set()
    while stack:
        node, ready = stack.pop()
        if node in found:
            continue
        if ready:
            found[node] = tangent_out(node, found.__getitem__)
            continue
        t = known(node)
        if t is not False:
            found[node] = t
            continue
        if not node._prev:
            found[node] = None
            continue
        if id(node) in opened:  # reached again while open: a cycle (an edited _prev)
            raise graph.GraphCycleError(f"the graph has a cycle through {node!r}")
        opened.add(id(node))
        stack.append((node, True))
        for parent in reversed(node._prev):
            if parent not in found:
                stack.append((parent, False))
    return found
