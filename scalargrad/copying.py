"""Copying and pickling a graph at any depth, without recursion.

`Value.__deepcopy__` and `Value.__reduce__` call these. A closure cannot be pickled, so a
node's backward is saved as its local gradients (the shared closures of `node.py` by name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import graph
from . import node as _node
from .graph import MicrogradBackward, Scaled
from .node import (
    Backward,
    _add_backward,
    _backward_not_set,
    _block_backward,
    _neg_backward,
    _pass_backward,
    _sub_backward,
)

if TYPE_CHECKING:
    from . import ops as _ops
    from .value import Value


def deepcopy(root: Value, memo: dict) -> Value:
    """A copy of the whole graph under `root`, made without recursion (any depth).

    Nodes are copied parents first; `memo` (the one `copy.deepcopy` passes) keeps shared
    nodes shared, also with other objects copied in the same call. The copies share the
    original's `_backward` closures, which hold only numbers.
    """
    for node in graph.topological_order(root):
        if id(node) not in memo:
            if type(node._fn) is MicrogradBackward:
                raise TypeError(f"cannot copy a node whose _backward was set by hand (op "
                                f"{node._op!r}): its function refers to the original "
                                "nodes; build it with Value.from_op(..., backward=...)")
            parents = tuple([memo[id(parent)] for parent in node._prev])
            fn = node._fn
            if type(fn) is graph._DotBackward:  # it holds its node's parents: give it the copies
                dot_fn: Any = _node._new(graph._DotBackward)
                dot_fn.parents = parents
                fn = dot_fn
            copy = _rebuild(node.data, node.grad, node.label, parents, fn, node._kind)
            if node.__dict__:
                copy.__dict__.update(node.__dict__)
            memo[id(node)] = copy
    return memo[id(root)]


def reduce(node: Value) -> tuple:
    """Pickle support at any depth (pickle itself recurses once per level of `_prev`).

    A pickled node lists every node under it, parents first, before itself; those nodes
    are then pickled one by one, each referring only to parents pickle has already saved,
    so nothing recurses. Shared nodes stay shared, as with any pickled objects.
    """
    fields = (node.data, node.grad, node.label, node._prev, _picklable_backward(node),
              node._kind)
    attributes = node.__dict__ or None  # the user's own attributes, if any
    if not node._prev or id(node) in _LISTED_FOR_PICKLE:
        _LISTED_FOR_PICKLE.discard(id(node))
        return _rebuild, fields, attributes
    under = graph.topological_order(node)[:-1]
    # Only a hint for the nodes' own __reduce__ (a stale id costs one recursion level).
    _LISTED_FOR_PICKLE.clear()
    _LISTED_FOR_PICKLE.update(map(id, under))
    return _unpickle_graph, (under, *fields), attributes


# Nodes a pickled graph lists before its output: pickled on their own, without their graph.
_LISTED_FOR_PICKLE: set[int] = set()


def _rebuild(data: float, grad: float, label: str, prev: tuple, fn: Backward | None,
             kind: _ops.Op | None) -> Value:
    """A node from its fields, exactly as stored (for copies and unpickling)."""
    node: Value = _node._new(_node._Value)
    node.data, node.grad, node.label = data, grad, label
    node._prev, node._fn, node._kind = prev, fn, kind
    return node


def _unpickle_graph(under: list, data: float, grad: float, label: str, prev: tuple,
                    fn: Backward | None, kind: _ops.Op | None) -> Value:
    # `under` was only there to make pickle save the nodes under this one first.
    return _rebuild(data, grad, label, prev, fn, kind)


_SHARED_BACKWARDS = frozenset([_add_backward, _sub_backward, _neg_backward, _pass_backward,
                               _block_backward, _backward_not_set])


def _picklable_backward(node: Value) -> Backward | None:
    """The node's backward in a form pickle can save: shared closures by name, any other
    closure as its local gradients (the closure's downstream for upstream 1)."""
    fn = node._fn
    if fn is None or fn in _SHARED_BACKWARDS:
        return fn
    if type(fn) is MicrogradBackward:
        raise TypeError(f"cannot pickle a node whose _backward was set by hand (op "
                        f"{node._op!r}); build it with Value.from_op(..., backward=...)")
    if type(fn) is Scaled:
        return fn
    return Scaled(tuple(graph.local_gradients(node)))
