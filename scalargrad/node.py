"""How a node is made: the one constructor every op calls, and the closures ops share.

`_make(data, parents, backward, kind)` makes a node from an op's forward result, its parents,
its `_backward` closure and its declaration (`ops.Op`). It looks at this thread's modes only
while some thread has a `no_grad()`, `detect_anomaly()` or `dual_level()` block open
(`_open_mode_blocks`), so the usual path costs nothing extra. Ops whose local gradients are
constants (+, −, neg, relu, sum of two) share one closure defined here, instead of making one
per node.

This module sits below `value.py` (which defines the `Value` class and registers it here as
`_Value`), so that the op modules can make nodes without importing the class.
"""

from __future__ import annotations

import threading
from numbers import Real
from typing import TYPE_CHECKING, Callable, Sequence, Union

from . import graph
from . import ops as _ops
from .modes import _modes

if TYPE_CHECKING:
    from .value import Value

Number = Union[int, float]
Operand = Union["Value", int, float]
# An op's `_backward` closure: the upstream gradient in, one downstream gradient per parent
# out (None from a micrograd-style closure, which adds into the parents itself).
Backward = Callable[[float], "Sequence[float] | None"]

_new = object.__new__
_Value: type = object  # the Value class; value.py sets it when it is defined

# How many grad-mode, anomaly-mode or dual-level blocks are open in any thread. While it is 0
# (the usual case) every thread records with anomaly off and no dual level, so an op skips
# reading its thread's modes.
# The modes themselves are per thread (`modes._modes`); this is only a hint.
_open_mode_blocks = 0
_mode_lock = threading.Lock()

# Set by anomaly.py: checks a new node's result and remembers where it was created.
_anomaly_forward: Callable[[Value, tuple, _ops.Op, bool], None] | None = None


def _as_float(x: object, where: str = "Value") -> float:
    """x as a float, or a TypeError saying that a real number was expected."""
    if type(x) is float:
        return x
    if isinstance(x, Real):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{where}: {x!r} is too large to be stored as a float") from None
    if isinstance(x, _Value):
        raise TypeError(f"{where} expected a real number (int or float), got a Value; "
                        "use the Value itself, or v.data for its number")
    raise TypeError(f"{where} expected a real number (int or float), got "
                    f"{type(x).__name__} {x!r}")




def _make(data: float, parents: tuple, backward: Backward, kind: _ops.Op) -> Value:
    """A new node: the op's forward result, its parents, its `_backward` closure and its op.

    Inside `no_grad()` (in this thread) the node is a leaf; inside `detect_anomaly()` its
    result is checked and where it was made is remembered; inside `dual_level()` a node
    computed from a live dual is a dual.
    """
    out: Value = _new(_Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _open_mode_blocks and _modes.special:
        return _make_in_mode(out, parents, backward, kind)
    out._prev = parents
    out._fn = backward
    out._kind = kind
    return out


def _make_in_mode(out: Value, parents: tuple, backward: Backward, kind: _ops.Op) -> Value:
    """`_make` when this thread is inside no_grad(), detect_anomaly() or a dual_level().

    In a dual level a node with a live dual among its parents is made a dual there, its
    tangent out read from `backward` (`dual._Level.node_made`): one place for every op."""
    recording = _modes.grad
    level = _modes.forward
    if level is not None and parents:
        made = level.node_made(out, parents, backward, kind, recording)
        if made is not None:
            if _modes.anomaly and _anomaly_forward is not None:
                _anomaly_forward(made, parents, kind, bool(made._prev))  # raises on NaN/inf
            return made
    if recording:
        out._prev = parents
        out._fn = backward
        out._kind = kind
    else:
        out._prev = ()
        out._fn = None
        out._kind = None
    if _modes.anomaly and _anomaly_forward is not None:
        _anomaly_forward(out, parents, kind, recording)  # raises on NaN/inf
    return out


def _leaf(data: float) -> Value:
    """A leaf holding `data`: no parents, no backward, no op."""
    out: Value = _new(_Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._prev = ()
    out._fn = None
    out._kind = None
    return out



# -- closures shared by every node of an op whose local gradients are constants ----------------
# (no closure is made per node for these: they capture nothing)


def _add_backward(upstream: float) -> tuple:
    """a + b: both local gradients are 1, so each input gets the upstream as it is."""
    return (upstream, upstream)


def _sub_backward(upstream: float) -> tuple:
    """a − b: local gradients 1 and −1."""
    return (upstream, -upstream)


def _neg_backward(upstream: float) -> tuple:
    """−x (and |x| for x < 0): local gradient −1."""
    return (-upstream,)


def _pass_backward(upstream: float) -> tuple:
    """relu, leaky_relu and |x| where x > 0: local gradient 1, the upstream passes through."""
    return (upstream,)


def _block_backward(upstream: float) -> tuple:
    """relu where x ≤ 0 and |x| at 0: local gradient 0, nothing passes."""
    return (0.0 * upstream,)


def _backward_not_set(upstream: float) -> tuple:
    raise graph.BackwardNotSetError(
        "this node was made with Value(data, _children, _op) and its _backward was never set; "
        "set out._backward = <a function> first, or make the node with "
        "Value.from_op(data, parents, backward=...)")
