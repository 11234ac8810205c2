"""The backward pass as a graph: gradients that are Values (`create_graph=True`).

With `create_graph=True` the chain rule is applied with Value ops instead of floats: each
node's downstream gradients come from its op's *graph form* (registered in `ops.GRAPH_FORMS`
beside the op's method and its float closure), so every gradient is a Value whose graph is
the backward computation, made of the same ops: it can be drawn, narrated and
differentiated again.

`walk` is the one backward pass over a dict of gradients, used for floats (when hooks are
registered, or for `gradients()` without touching `.grad`) and for Values alike.
"""

from __future__ import annotations

from contextlib import nullcontext
from numbers import Real
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Optional, Sequence

from . import graph
from . import node as _node
from . import ops as _ops
from .grad_mode import enable_grad
from .modes import _modes
from .node import _as_float, _backward_not_set, _leaf

if TYPE_CHECKING:
    from .value import Value

Down = Callable[[Any, Any], Optional[Sequence[Any]]]


class NotDifferentiableError(TypeError):
    """A node's backward cannot be written as a graph, so its gradient cannot be
    differentiated again (a micrograd-style `_backward`, or local gradients given as numbers)."""


class CustomBackward:
    """A user's closure from `Value.from_op(..., backward=fn)`: upstream in, one downstream
    per parent out. Called with a float it gives floats (a Value it returns is read as its
    number); with a Value upstream (create_graph=True) it gives Values, and is differentiable
    when `fn` is written with Value arithmetic on the parents."""

    __slots__ = ("fn", "n", "op")

    def __init__(self, fn: Callable[[Any], Any], n: int, op: str) -> None:
        self.fn, self.n, self.op = fn, n, op

    def _downs(self, upstream: Any) -> Sequence[Any]:
        downs = self.fn(upstream)
        if not isinstance(downs, (tuple, list)) or len(downs) != self.n:
            raise TypeError(f"the backward of op {self.op!r} returned {downs!r}; expected a "
                            f"tuple of {self.n} downstream gradient{'s' if self.n != 1 else ''}"
                            ", one per parent")
        return downs

    def __call__(self, upstream: float) -> tuple[float, ...]:
        where = f"the backward of op {self.op!r}"
        downs: Sequence[Any] = self._downs(upstream)
        cls: Any = _node._Value
        return tuple([d.data if isinstance(d, cls) else _as_float(d, where) for d in downs])

    def graph(self, node: Value, upstream: Value) -> tuple[Value, ...]:
        downs = []
        for d in self._downs(upstream):
            if not isinstance(d, _node._Value):
                number = _as_float(d, f"the backward of op {self.op!r}")
                if number != 0.0:
                    raise NotDifferentiableError(
                        f"op {self.op!r}: its backward returned the plain number {number!r} "
                        "for a Value upstream, so its gradient cannot be differentiated "
                        "again; write the closure with Value arithmetic (upstream * ..., "
                        "capturing the parents rather than their .data)")
                d = upstream * 0.0
            downs.append(d)
        return tuple(downs)


class WithGraphForm:
    """A custom op's backward given twice: as floats (`local`, a `graph.Scaled` or closure,
    used by the usual backward) and in Value ops (`form(upstream) -> downstreams`)."""

    __slots__ = ("local", "form", "op")

    def __init__(self, local: Callable[[float], Any], form: Callable[[Any], Any],
                 op: str) -> None:
        self.local, self.form, self.op = local, form, op

    def __call__(self, upstream: float) -> Any:
        return self.local(upstream)

    def graph(self, node: Value, upstream: Value) -> Sequence[Any]:
        return CustomBackward(self.form, len(node._prev), self.op).graph(node, upstream)


def downstream_values(node: Value, upstream: Value) -> Sequence[Any]:
    """The downstream gradient `node` sends each parent, as Values built from Value ops."""
    fn = node._fn
    if isinstance(fn, (CustomBackward, WithGraphForm)):
        return fn.graph(node, upstream)
    if fn is _backward_not_set:
        return fn(0.0)  # raises BackwardNotSetError, naming the fix
    kind = node._kind
    if type(fn) is graph.MicrogradBackward:
        raise NotDifferentiableError(
            f"op {node._op!r}: its _backward was set micrograd's way (a function that adds "
            "into the parents' grads), which cannot build a graph; make the node with "
            "Value.from_op(data, parents, backward=<a closure written with Value arithmetic>)")
    if kind is not None and not kind.is_custom:
        return _ops.GRAPH_FORMS[kind.name](node, upstream)
    raise NotDifferentiableError(
        f"op {node._op!r} gives its local gradients as numbers, so its gradient cannot be "
        "differentiated again; give Value.from_op a backward= closure written with Value "
        "arithmetic (upstream * ..., capturing the parents), or backward_graph=")


def float_downstream(node: Value, upstream: float) -> Optional[Sequence[float]]:
    return graph.downstream(node, upstream)


def walk(root: Value, seed: Any, down: Down, stop: Optional[set] = None) -> dict:
    """The backward pass from `root` (seeded with `seed`) into a dict: node -> gradient.

    `down(node, upstream)` gives a node's downstream gradients (floats or Values). A node's
    gradient is complete when the walk reaches it (reverse topological order), and its
    hooks run then, before it is passed on. No `.grad` is read or changed. Given `stop`, only
    the nodes above those are walked: a node of `stop` (or a leaf) receives its gradient
    but passes nothing on and runs no hooks."""
    order = graph._depth_first(root, with_leaves=True) if stop is None else _above(root, stop)
    grads: dict = {root: seed}
    hooked = graph._hooks_live > 0
    for node in reversed(order):
        g = grads.get(node)
        if g is None:
            continue
        if hooked:
            hooks = getattr(node, "_hooks", None)
            if hooks:
                g = grads[node] = run_hooks(hooks, g, node)
        parents = node._prev
        if not parents:
            continue
        downs = down(node, g)
        if downs is None:
            continue
        if len(downs) != len(parents):
            raise ValueError(f"node {node._op!r} has {len(parents)} parents but its backward "
                             f"gave {len(downs)} downstream gradients")
        for parent, d in zip(parents, downs):
            old = grads.get(parent)
            grads[parent] = d if old is None else old + d
    return grads


def _above(root: Value, stop: set) -> list:
    """The nodes between `root` and the nodes of `stop`, parents first (depth-first
    post-order, as `graph._depth_first`), without the `stop` nodes, leaves, or anything
    below them: a walk that costs the size of the graph above `stop`, not of all of it."""
    order: list = []
    open_: dict = {}  # True while a node is on the current path, False once listed
    stack = [root]
    while stack:
        node = stack.pop()
        state = open_.get(node)
        if state is None:
            if node in stop or not node._prev:
                open_[node] = False
                continue
            open_[node] = True
            stack.append(node)
            for parent in reversed(node._prev):
                seen = open_.get(parent)
                if seen is None:
                    stack.append(parent)
                elif seen:
                    raise graph.GraphCycleError(graph._cycle_message(parent, stack, open_))
        elif state:
            open_[node] = False
            order.append(node)
    return order


def partials(output: Value, inputs: Sequence[Value], upstream: Value) -> list:
    """upstream × ∂output/∂xᵢ for each x in `inputs`, as Values, with the inputs held as
    independent variables: the *partial* derivatives of `output` as a function of them.

    The walk stops at the inputs, so when one input is computed from another (y and x·y)
    that dependence does not leak in, as it would in `gradients`' total derivatives. This
    is a node's local gradient when `output` is the node's computation redone on its
    parents (a fused op's graph form). An input listed twice gets its partial the first time
    and 0 after; an input `output` does not depend on gets 0 (`upstream * 0.0`)."""
    grads = walk(output, upstream, downstream_values, stop=set(inputs))
    downs = []
    seen: set = set()
    for x in inputs:
        g = grads.get(x) if x not in seen else None
        downs.append(upstream * 0.0 if g is None else g)
        seen.add(x)
    return downs


def run_hooks(hooks: dict, grad: Any, node: Optional[Value] = None) -> Any:
    """`grad` passed through a node's hooks in the order they were registered.

    A hook returns None (the gradient stays), a real number or a Value (it replaces the
    gradient). The replacement keeps the pass's kind: in a plain backward (a float
    gradient) a Value's number is taken, so `.grad` stays a float; in a pass built as a
    graph (a Value gradient) a number becomes a constant leaf. Anything else is a
    TypeError naming the hook and `node`."""
    for fn in list(hooks.values()):
        out = fn(grad)
        if out is not None:
            grad = _hook_result(fn, out, isinstance(grad, _node._Value), node)
    return grad


def _hook_result(fn: Any, out: Any, as_value: bool, node: Optional[Value]) -> Any:
    """What hook `fn` returned, as the gradient of a pass of floats or of Values."""
    if isinstance(out, _node._Value):
        return out if as_value else out.data  # type: ignore[attr-defined]
    if isinstance(out, Real) and not isinstance(out, bool):
        number = _as_float(out, "a gradient hook's result")
        return _leaf(number) if as_value else number
    name = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    where = "" if node is None else f" on {_node_text(node)}"
    shown = repr(out)
    shown = shown if len(shown) <= 60 else shown[:60] + "…"
    raise TypeError(f"gradient hook {name!r}{where} returned {type(out).__name__} {shown}; "
                    "a hook must return None (keep the gradient), a real number or a Value "
                    "(the new gradient)")


def _node_text(node: Value) -> str:
    """A node as an error message names it: its label or op, and its data."""
    what = f"label {node.label!r}" if node.label else (
        f"op {node._op!r}" if node._prev else "a leaf")
    return f"the node {node!r} ({what})"


def backward(root: Value, seed: Any, create_graph: bool) -> None:
    """`root.backward()` through `walk`: every interior node's grad set, leaves' added to."""
    if create_graph:
        if not isinstance(seed, _node._Value):
            seed = _seed(seed)
        with _recording():
            grads = walk(root, seed, downstream_values)
    else:
        grads = walk(root, seed, float_downstream)
    for node, g in grads.items():
        if node._prev:
            node.grad = g
        else:
            old = node.grad
            node.grad = g if (type(old) is float and old == 0.0) else old + g
    for node in graph._depth_first(root, with_leaves=False):
        if node not in grads:
            node.grad = 0.0


def _recording() -> ContextManager[None]:
    """Recording on for a backward pass built as a graph, inside `no_grad()` too (the pass
    was asked for with create_graph=True); nothing to switch when it is already on."""
    return nullcontext() if _modes.grad else enable_grad()


def _seed(x: Any) -> Value:
    """The upstream at the root of a backward pass built as a graph: a leaf named "seed"."""
    leaf = _leaf(_as_float(x, "backward grad"))
    leaf.label = "seed"
    return leaf


def gradients(output: Value, inputs: Sequence[Value], create_graph: bool = False,
              seed: Any = 1.0) -> list:
    """∂output/∂x for each x in `inputs` (0 for an input `output` does not depend on), as
    floats, or as Values whose graph is the backward pass when `create_graph`. Nothing's
    `.grad` is read or changed.

    As `torch.autograd.grad`, the backward pass is recorded when `create_graph` is True
    even inside `no_grad()` (the gradients can be differentiated again), and never when
    it is False (floats, whatever the mode)."""
    if create_graph:
        start = seed if isinstance(seed, _node._Value) else _seed(seed)
        with _recording():
            grads = walk(output, start, downstream_values)
        return [grads[x] if x in grads else _leaf(0.0) for x in inputs]
    grads = walk(output, _as_float(seed, "seed"), float_downstream)
    out = []
    for x in inputs:
        g = grads.get(x, 0.0)
        out.append(g.data if isinstance(g, _node._Value) else g)  # type: ignore[attr-defined]
    return out
