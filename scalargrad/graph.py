"""Walks over a computation graph: topological order and the backward pass.

Both are iterative (an explicit stack, no recursion), so a graph a million nodes deep works
with Python's default recursion limit, and both keep their bookkeeping in local variables:
nothing is stored on the nodes but `grad`.

The chain rule is applied in one way everywhere: a node's `_backward` closure (`node._fn`)
takes its upstream gradient and returns the downstream gradient for each parent, and the
walk adds each downstream into that parent. `backward()` does it into `.grad`; `replay()`
does it into a private list for the views that narrate or check a pass (explain, paths,
frames, check_graph); `step()` does one node by hand; anomaly mode runs `backward()`'s walk
with a check after every step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from .modes import _modes

if TYPE_CHECKING:
    from .value import Value

# Set by anomaly.py: the checked backward pass that runs inside detect_anomaly().
_checked_backward: Optional[Callable[[Value, float], None]] = None
# How many gradient hooks are registered on live nodes (hooks.py keeps it); while it is not
# 0, backward() takes the walk that calls them (`_hooked_backward`, set by hooks.py).
_hooks_live = 0
_hooked_backward: Optional[Callable[[Value, float], None]] = None


class BackwardNotSetError(TypeError):
    """A node made with Value(data, _children, _op) was used before its _backward was set."""


class MicrogradBackward:
    """A node's backward given micrograd's way: a function of no arguments (`step`) that
    reads the node's grad and adds into its parents' grads itself. Called with the upstream
    like any built-in closure, it runs `step()` and returns None: nothing left to add."""

    __slots__ = ("step",)

    def __init__(self, step: Callable[[], None]) -> None:
        self.step = step

    def __call__(self, upstream: float) -> None:
        self.step()


class Scaled(tuple):
    """A backward whose local gradients are fixed numbers, one per parent (the tuple's items):
    the downstream for each parent is upstream × its number. `dot` nodes and
    `Value.from_op(..., local_grads)` use it. Called with the upstream it returns the
    downstreams like any closure; `backward()` applies the very same products inline (see
    there). (A tuple subclass: the numbers live in the object itself, one allocation per
    neuron node instead of an object, a list and its array.)"""

    __slots__ = ()

    @property
    def local(self) -> tuple[float, ...]:
        """The local gradients, one per parent."""
        return tuple(self)

    def __call__(self, upstream: float) -> list:
        return [c * upstream for c in self]

    def __repr__(self) -> str:
        return f"Scaled({list(self)!r})"

    def __reduce__(self) -> tuple:
        return Scaled, (tuple(self),)


# Set by fused.py: the type of `dot`'s backward (`fused.DotBackward`), whose products
# backward() adds inline, as it does for `Scaled`.
_DotBackward: type = type(None)


def step(node: Value) -> None:
    """One chain-rule step by hand: add `node`'s downstream gradients (for upstream
    `node.grad`) into its parents' grads. Nothing happens for a leaf."""
    fn = node._fn
    if fn is None:
        return
    downs = downstream(node, node.grad)
    if downs is not None:
        for parent, d in zip(node._prev, downs):
            parent.grad += d


def downstream(node: Value, upstream: float) -> Optional[Sequence[float]]:
    """The gradient `node` sends each of its parents for `upstream`, from its own closure,
    without changing any grad. None for a leaf (nothing to send).

    A micrograd-style closure adds into the parents' grads itself, so it is run with
    every grad involved saved and restored, and what it added is read off; a parent used
    twice then gets the whole of its share at its first use."""
    fn = node._fn
    if fn is None:
        return None
    if type(fn) is not MicrogradBackward:
        return fn(upstream)
    parents = node._prev
    saved = [(p, p.grad) for p in dict.fromkeys(parents)]
    own = node.grad
    try:
        for p, _ in saved:
            p.grad = 0.0
        node.grad = upstream
        fn.step()
        added = {p: p.grad for p, _ in saved}
    finally:
        for p, grad in saved:
            p.grad = grad
        node.grad = own
    downs = []
    for p in parents:
        downs.append(added.pop(p, 0.0))
    return tuple(downs)


def local_gradients(node: Value) -> tuple[float, ...]:
    """∂node/∂parent for each parent: the op's downstream gradients for upstream 1 (every
    closure is linear in its upstream). () for a leaf."""
    downs = downstream(node, 1.0)
    return () if downs is None else tuple(downs)


def edges(node: Value, upstream: float) -> list[tuple[Value, float, float]]:
    """Each edge into `node`, in argument order, as (parent, local gradient, downstream for
    `upstream`): what a narration or a picture shows. [] for a leaf. Raises ValueError if
    the closure does not give one gradient per parent (a `_prev` edited by hand)."""
    downs = downstream(node, upstream)
    if downs is None:
        return []
    local = local_gradients(node)
    parents = node._prev
    if not len(parents) == len(local) == len(downs):
        raise ValueError(f"node {node._op!r} has {len(parents)} parents but {len(downs)} local "
                         "gradients; was its _prev edited by hand?")
    return list(zip(parents, local, downs))


def is_measured(node: Value) -> bool:
    """True when the node's backward was set micrograd's way (its local gradients are
    measured by running it, not given by the op)."""
    return type(node._fn) is MicrogradBackward


def replay(order: Sequence[Value], seed: float = 1.0,
           visit: Optional[Callable[[int, Value, float, Sequence[float]], None]] = None
           ) -> list[float]:
    """The backward pass over `order` (a topological order, root last) into a fresh list:
    ∂root/∂node for every node, seeded with `seed`. No node's grad is read or changed.

    `visit(i, node, upstream, downs)` is called for every interior node, in reverse order,
    after its downstream gradients have been added into its parents' entries.
    """
    index = {node: i for i, node in enumerate(order)}
    grads = [0.0] * len(order)
    if not order:
        return grads
    grads[-1] = seed
    for i in range(len(order) - 1, -1, -1):
        node = order[i]
        parents = node._prev
        if not parents:
            continue
        upstream = grads[i]
        downs = downstream(node, upstream)
        if downs is None:
            continue
        k = 0
        for parent in parents:
            grads[index[parent]] += downs[k]
            k += 1
        if visit is not None:
            visit(i, node, upstream, downs)
    return grads


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
    if _modes.anomaly and _checked_backward is not None:  # (it calls the hooks too)
        return _checked_backward(root, grad)
    if _hooks_live and _hooked_backward is not None:
        return _hooked_backward(root, grad)
    # (typed Any: an interior node always has its `_fn`, which mypy cannot know)
    interior: list[Any] = _depth_first(root, with_leaves=False)  # leaves pass nothing down
    for node in interior:
        node.grad = 0.0
    root.grad += grad
    node = root
    try:
        for node in reversed(interior):
            fn = node._fn
            kind = type(fn)
            if kind is _DotBackward:
                # w·x + b with Values only: the products dot's closure returns, added as they
                # are made: each weight gets upstream × its input's number and each input
                # upstream × its weight's; the bias gets the upstream.
                upstream = node.grad
                parents = node._prev
                n = len(parents) >> 1
                for i in range(n):
                    w = parents[i]
                    x = parents[n + i]
                    w.grad += x.data * upstream
                    x.grad += w.data * upstream
                if len(parents) & 1:
                    parents[-1].grad += upstream
                continue
            if kind is Scaled:
                # Fixed local gradients (a dot node: one per weight and input): the products
                # the closure would return, added as they are made, with no list in between.
                upstream = node.grad
                local = fn
                i = 0
                for parent in node._prev:
                    parent.grad += local[i] * upstream
                    i += 1
                continue
            downs = fn(node.grad)  # the op's closure: upstream -> each downstream
            if downs is not None:  # (None: a micrograd-style closure added them itself)
                i = 0
                for parent in node._prev:  # (an index, not zip(): no iterator per node)
                    parent.grad += downs[i]
                    i += 1
    except BackwardNotSetError as error:
        raise BackwardNotSetError(f"backward: node {node!r} (op {node._op!r}): {error}") from None


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
    # (bound methods held in locals: no attribute lookup per edge, ~15% of a walk)
    push, pop, state_of, listed = stack.append, stack.pop, open_.get, order.append
    while stack:
        node = pop()
        state = state_of(node)
        if state is None:  # first visit: list its parents first, then come back to it
            parents = node._prev
            if parents:
                open_[node] = True
                push(node)
                for parent in reversed(parents):  # reversed: the first parent is popped first
                    if with_leaves or parent._prev:  # (backward never visits leaves at all)
                        seen = state_of(parent)
                        if seen is None:
                            push(parent)
                        elif seen:
                            raise GraphCycleError(_cycle_message(parent, stack, open_))
            else:
                open_[node] = False
                if with_leaves:
                    listed(node)
        elif state:  # second visit: every parent is listed
            open_[node] = False
            listed(node)
    return order


def _cycle_message(node: Value, stack: list[Value], open_: dict[Value, bool]) -> str:
    # The open nodes, in the order they were opened, are the current path from the root.
    path = list(dict.fromkeys(n for n in reversed(stack) if open_.get(n)))[::-1]
    start = path.index(node)
    ops = " -> ".join(n._op or "leaf" for n in path[start:])
    return (f"the graph has a cycle: {node!r} depends on itself (ops along the cycle: {ops}); "
            "a node's _prev was probably edited by hand")
