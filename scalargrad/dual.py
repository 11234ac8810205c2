"""Dual numbers: a value and its tangent travelling together (forward mode).

    with sg.dual_level():
        x = sg.make_dual(0.0, 1.0)        # x = 0, moving at speed 1
        y = x.sigmoid()
        sg.unpack_dual(y)                 # (primal=0.5, tangent=0.25): σ'(0)

As PyTorch's `torch.autograd.forward_ad` (`dual_level`, `make_dual`, `unpack_dual`).

Why this design. A `Dual` is a `Value` with one more slot, `tangent`, so a dual goes wherever a
Value goes: into every op, `sum`, `dot`, nn's neurons, layers, MLPs and losses, and a user's
`Value.from_op`, with no second version of any of them. The tangent out of an op comes from
the op's own local gradients (`tangents.tangent_out`: Σ local gradient × tangent in), never
from a second table of derivatives:

* an op *method* on a dual (`+`, `*`, `**`, `exp`, `tanh`, … every op of `Arithmetic` and
  `Functions`, found by name, so a new op is covered the day it is added) builds the ordinary
  node, reads its local gradients from its closure, and returns a new dual holding the number
  and the tangent out. That node is then dropped: a dual is a leaf of the backward pass, so
  forward mode keeps no graph and a chain of a million ops runs in the memory of one;
* the fused functions (`sum`, `dot`), nn's losses and `from_op` make ordinary nodes with the
  duals as parents; such a node's tangent is read from its parents when it is next used by a
  dual op or unpacked, through the same rule (`tangents.tangents_of`). Their graph lives only
  until then (for nn's modules: one layer's nodes, or the network's if no dual op follows).

Inside grad(...) (so that forward mode can run over a backward pass: `hvp` is forward over
reverse) a dual op keeps its parents, making the dual a node of the graph being differentiated;
so does every dual op on a dual that grad() differentiates or that has such a history, later
too (as requires_grad spreads in PyTorch): a backward pass built afterwards through it (a fused
loss's graph form, which differentiates its own elementary graph) still reaches the inputs.

A tangent is read from the closures the ops record, so a `dual_level()` block records (it
switches `no_grad()` off for itself, so forward mode works inside an outer `no_grad()`; a
`no_grad()` opened *inside* the block would drop them, and is refused with an error). As in
PyTorch a dual is a dual only while its level is open: afterwards it is an ordinary Value and
`unpack_dual` gives it no tangent. `.grad` is never read or changed.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from numbers import Real
from typing import Any, Callable, Iterator, NamedTuple, Optional

from . import grad_mode
from .arithmetic import Arithmetic, _lift
from .functions import Functions
from .modes import _modes
from .node import _as_float
from .tangents import tangent_out, tangents_of
from .value import Value

__all__ = ["Dual", "UnpackedDual", "dual_level", "make_dual", "unpack_dual"]


class _Level:
    """One open `dual_level()` block: duals made in it carry tangents while it is open. It
    holds the two readers of its duals' tangents, made once per block."""

    __slots__ = ("open", "known", "tangent_in", "found")

    def __init__(self) -> None:
        self.open = True
        # the tangents of the last ordinary nodes worked out (a bounded cache: a node used
        # again and again, as y = y * p in a loop, is walked once, and nothing piles up)
        self.found: dict[Value, Optional[float]] = {}
        self.known = _known(self)
        self.tangent_in = _tangent_in(self)

    def remember(self, found: dict) -> None:
        """Keep the ordinary nodes' tangents of one walk (the last CACHE of them)."""
        cache = self.found
        for node, t in found.items():
            if node._prev and type(node) is not Dual:
                cache[node] = t
        while len(cache) > CACHE:
            del cache[next(iter(cache))]


CACHE = 256


class _State(threading.local):
    level: Optional[_Level] = None  # this thread's open level (one at a time, as in PyTorch)


_state = _State()


class Dual(Value):
    """A Value with a tangent: how fast it moves when the inputs move along the chosen
    direction. Made by `make_dual`; every op on it gives a Dual again."""

    __slots__ = ("tangent", "_level", "_tracked")
    tangent: float
    _level: _Level
    _tracked: bool  # differentiated by grad(): the duals computed from it keep their graph

    def __repr__(self) -> str:
        if self._level is not _state.level:
            return f"Dual(data={self.data!r}, tangent=None)  # its dual_level() has closed"
        return f"Dual(data={self.data!r}, tangent={self.tangent!r})"


_new = object.__new__


def _dual(data: float, tangent: float, level: _Level, like: Optional[Value] = None) -> Dual:
    """A new dual: a leaf, or a node of the graph with `like`'s parents and closure."""
    out: Dual = _new(Dual)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.tangent = tangent
    out._level = level
    out._tracked = False
    if like is not None:
        out._prev, out._fn, out._kind = like._prev, like._fn, like._kind
    else:
        out._prev, out._fn, out._kind = (), None, None
    return out


def _known(level: _Level) -> Callable[[Value], Any]:
    """For `tangents_of`: a live dual's tangent is known; a dual of a closed level is a
    constant (None); any other node is worked out from its parents (False)."""

    found = level.found

    def known(node: Value) -> Any:
        if type(node) is Dual:
            return node.tangent if node._level is level else None
        return found.get(node, False)

    return known


def _tangent_in(level: _Level) -> Callable[[Value], Optional[float]]:
    """A parent's tangent: a live dual's own, a constant's None, or worked out from the
    duals an ordinary node (sum, dot, nn's nodes) was computed from."""
    known = _known(level)

    def tangent_in(parent: Value) -> Optional[float]:
        t = known(parent)
        if t is not False:
            return t
        if not parent._prev:
            return None  # a constant
        found = tangents_of([parent], known)
        level.remember(found)
        return found[parent]

    return tangent_in


_NO_GRAD_INSIDE = ("forward mode inside dual_level() reads each tangent from the closures the "
                   "ops record, and no_grad() opened inside the block drops them; open "
                   "no_grad() around the dual_level() block instead (forward mode keeps no "
                   "graph either way)")


def _forward(op: Callable[..., Any], reflected: bool) -> Callable[..., Any]:
    """The dual version of one op method: the ordinary node, then its tangent out."""

    def method(self: Dual, *args: Any, **kwargs: Any) -> Any:
        if reflected:  # 2 * x: the op with the plain number lifted on the left
            node = op(_lift(args[0], op.__name__.strip("_")), self)
        else:
            node = op(self, *args, **kwargs)
        level = _state.level
        if level is None or not isinstance(node, Value):
            return node
        if self._level is not level and not any(type(a) is Dual and a._level is level
                                                 for a in args):
            return node  # no live dual among the inputs: an ordinary Value
        if not _modes.grad:
            raise RuntimeError(_NO_GRAD_INSIDE)
        t = tangent_out(node, level.tangent_in)
        # a node of the graph inside grad(), and after it wherever a dual that grad()
        # differentiates, or one with a history, goes (a backward pass built later, such as
        # a fused loss's graph form, must reach the inputs)
        keep = _modes.differentiating or any(type(p) is Dual and (p._prev or p._tracked)
                                             for p in node._prev)
        return _dual(node.data, 0.0 if t is None else t, level, node if keep else None)

    method.__name__ = op.__name__
    method.__qualname__ = f"Dual.{op.__name__}"
    method.__doc__ = op.__doc__
    return method


def _install_ops() -> None:
    """Give `Dual` a dual version of every op method of Value (binary and unary)."""
    for cls in (Arithmetic, Functions):
        for name, op in vars(cls).items():
            if not callable(op) or name in ("__pos__",):
                continue
            dunder = name.startswith("__") and name.endswith("__")
            if name.startswith("_") and not dunder:
                continue  # the graph forms (_mul_graph, …) are helpers, not ops
            if dunder and name.startswith("__r") and hasattr(cls, "__" + name[3:]):
                setattr(Dual, name, _forward(getattr(cls, "__" + name[3:]), True))
            else:
                setattr(Dual, name, _forward(op, False))


_install_ops()


@contextmanager
def dual_level() -> Iterator[None]:
    """The block inside which `make_dual` makes duals and their tangents travel.

    Recording is switched on for the block (forward mode reads the ops' closures), so it
    works inside `no_grad()`. One level at a time in a thread: jvp, jacfwd and hvp open
    their own, so they are called outside such a block."""
    if _state.level is not None:
        raise RuntimeError("dual_level() is already open in this thread: forward mode over "
                           "forward mode (nested levels) is not supported; close the first "
                           "block (jvp, jacfwd and hvp open their own)")
    level = _Level()
    _state.level = level
    try:
        with grad_mode.enable_grad():
            yield
    finally:
        level.open = False
        level.found.clear()
        _state.level = None


def track(values: list) -> None:
    """Mark the duals among `values` as differentiated by grad() (functional.py calls it
    before f runs): every dual computed from them keeps its graph, so that a backward pass
    built later, even one that recomputes part of f (a fused loss's graph form), reaches
    them. As `requires_grad_()` in PyTorch."""
    for v in values:
        if type(v) is Dual:
            v._tracked = True


def make_dual(primal: Any, tangent: Any) -> Dual:
    """A dual: the number `primal` (or a Value's number) with the tangent `tangent`, inside
    a `dual_level()` block. It is a leaf, linked to no graph."""
    level = _state.level
    if level is None:
        raise RuntimeError("make_dual needs an open `with scalargrad.dual_level():` block "
                           "(or use scalargrad.jvp, which opens its own)")
    if not _modes.grad:
        raise RuntimeError(_NO_GRAD_INSIDE)
    p = primal.data if isinstance(primal, Value) else _real(primal, "make_dual primal")
    return _dual(p, _real(tangent, "make_dual tangent"), level)


class UnpackedDual(NamedTuple):
    """A value's number and its tangent (None when nothing it depends on carries one)."""

    primal: float
    tangent: Optional[float]


def unpack_dual(value: Value) -> UnpackedDual:
    """(primal, tangent) of a Value: a dual's own, or one worked out from the duals it was
    computed from (by `sum`, `dot`, nn's modules and losses); tangent None for a Value that
    depends on no dual of the open level."""
    if not isinstance(value, Value):
        raise TypeError(f"unpack_dual expected a Value (a dual, or a result computed from "
                        f"duals), got {type(value).__name__} {value!r}")
    level = _state.level
    if level is None:
        return UnpackedDual(value.data, None)
    if not _modes.grad:
        raise RuntimeError(_NO_GRAD_INSIDE)
    return UnpackedDual(value.data, level.tangent_in(value))


def result_tangents(values: list) -> list[float]:
    """The tangents of several results at once (0.0 for one that depends on no dual), by one
    pass over their graph: what jvp reads at the end."""
    level = _state.level
    assert level is not None, "tangents() is called inside a dual_level() block"
    if not _modes.grad:
        raise RuntimeError(_NO_GRAD_INSIDE)
    found = tangents_of(values, level.known)
    level.remember(found)
    return [0.0 if found[v] is None else found[v] for v in values]  # type: ignore[misc]


def _real(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{where} must be a real number (int or float), got "
                        f"{type(x).__name__} {x!r}")
    return _as_float(x, where)
