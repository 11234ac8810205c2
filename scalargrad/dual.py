"""Dual numbers: a value and its tangent travelling together (forward mode).

    with sg.dual_level():
        x = sg.make_dual(0.0, 1.0)        # x = 0, moving at speed 1
        y = x.sigmoid()
        sg.unpack_dual(y)                 # (primal=0.5, tangent=0.25): σ'(0)

As PyTorch's `torch.autograd.forward_ad` (`dual_level`, `make_dual`, `unpack_dual`).

Why this design. A `Dual` is a `Value` with one more slot, `tangent`, so a dual goes wherever a
Value goes: into every op, `sum`, `dot`, nn's neurons, layers, MLPs and losses, and a user's
`Value.from_op`, with no second version of any of them. There is one mechanism, at the one
place every op makes its node (`node._make`): while a `dual_level()` is open, this thread's
modes say so, so each op takes the slow path (`node._make_in_mode`, the path no_grad() and
detect_anomaly() already use), and a node with a live dual among its parents becomes a dual
there (`_Level.node_made`):

* its tangent out is Σ local gradient × tangent in (`tangents.tangent_out`), the local
  gradients read from the op's own `_backward` closure, the one the backward pass calls: no
  second table of derivatives, and a new op is covered the day it is added;
* its parents are dropped: a dual is a leaf of the backward pass, so forward mode keeps no
  graph, and a chain of a million ops, or an MLP of any depth, runs in the memory of one
  layer. The ops whose closures read their inputs' numbers later (`dot`) read them now,
  while they are live.

Inside grad(...) (so that forward mode can run over a backward pass: `hvp` is forward over
reverse) a dual keeps its parents, making it a node of the graph being differentiated; so does
every dual computed from a dual that grad() differentiates or that has such a history, later
too (as requires_grad spreads in PyTorch): a backward pass built afterwards through it (a fused
loss's graph form, which rebuilds its elementary graph) still reaches the inputs.

Nodes not made by an op of this thread have no tangent of their own: a micrograd-style node
(`Value(data, children, op)`, whose `_backward` is set after it is made), a `from_op` node
whose closure reads a name not set yet (the node it makes) and a node made by another thread.
Such a node keeps its graph, and its tangent is worked out from its parents, by the same rule,
when a dual op or `unpack_dual` next needs it (`tangents.tangents_of`; a bounded cache keeps
the last few so a node used again and again is walked once).

Recording is not needed: as in PyTorch, `no_grad()` does not stop forward mode, inside the
block or around it (a dual made inside `no_grad()` is a leaf even inside grad(...)). As in
PyTorch a dual is a dual only while its level is open: afterwards it is an ordinary Value and
`unpack_dual` gives it no tangent. Levels are per thread: one thread's level makes no duals in
another. `.grad` is never read or changed.
"""

from __future__ import annotations

from contextlib import contextmanager
from numbers import Real
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple, Optional

from . import node as _node
from .modes import _modes, update_special
from .node import _as_float
from .tangents import tangent_out, tangents_of
from .value import Value

if TYPE_CHECKING:
    from .node import Backward
    from .ops import Op

__all__ = ["Dual", "UnpackedDual", "dual_level", "make_dual", "unpack_dual"]

CACHE = 256  # how many walked nodes' tangents a level remembers


class Dual(Value):
    """A Value with a tangent: how fast it moves when the inputs move along the chosen
    direction. Made by `make_dual`; every op on it gives a Dual again (while its level is
    open)."""

    __slots__ = ("tangent", "_level", "_tracked")
    tangent: float
    _level: _Level
    _tracked: bool  # differentiated by grad(): the duals computed from it keep their graph

    def __repr__(self) -> str:
        if self._level is not _modes.forward:
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


class _Level:
    """One open `dual_level()` block: duals made in it carry tangents while it is open."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        # the tangents of the last nodes walked (a bounded cache: a hand-made node used again
        # and again, as y = y * p in a loop, is walked once, and nothing piles up)
        self.found: dict[Value, Optional[float]] = {}

    def node_made(self, out: Value, parents: tuple, backward: Backward, kind: Op,
                  recording: bool) -> Optional[Value]:
        """Called by `node._make_in_mode` for every node an op makes in this level's thread:
        the dual it becomes when a live dual is among `parents` (`out` is the plain node,
        not yet filled in), `out` itself filled in as an ordinary recorded node when its
        tangent must wait (see below), or None for an ordinary node (no dual among the
        parents: a constant, or a hand-made node's graph whose tangent is found later)."""
        live = history = False  # a live dual among the parents; a dual with a graph
        for p in parents:
            if type(p) is Dual:
                if p._level is self:
                    live = True
                if p._prev or p._tracked:
                    history = True
        if not live and (recording or not any(p._prev for p in parents)):
            return None
        # (not live, inside no_grad(): a parent may be a hand-made node over duals, whose
        # graph the ordinary leaf would cut: its tangent is worked out now, or it is kept)
        out._prev, out._fn, out._kind = parents, backward, kind
        try:
            t = tangent_out(out, self.tangent_in)
        except NameError:
            # a from_op closure that reads a name set only after the node is made (usually
            # the node itself): the node keeps its graph and its tangent is found when next
            # needed, once the name is set
            return out
        if t is None:  # (only when no live dual is among the parents)
            return None
        # a node of the graph inside grad(), and after it wherever a dual that grad()
        # differentiates, or one with a history, goes (a backward pass built later, such as
        # a fused loss's graph form, must reach the inputs)
        keep = recording and (history or _modes.differentiating > 0)
        return _dual(out.data, t, self, out if keep else None)

    def known(self, node: Value) -> Any:
        """For `tangents_of`: a live dual's tangent is known; a dual of another level is a
        constant (None); a node walked lately is remembered; any other is worked out from
        its parents (False)."""
        if type(node) is Dual:
            return node.tangent if node._level is self else None
        return self.found.get(node, False)

    def tangent_in(self, parent: Value) -> Optional[float]:
        """A parent's tangent: a live dual's own, a constant's None, or one worked out from
        the duals a node not made by an op of this level was computed from."""
        if type(parent) is Dual:
            return parent.tangent if parent._level is self else None
        if not parent._prev:
            return None  # a constant
        t = self.found.get(parent, False)
        if t is not False:
            return t
        found = tangents_of([parent], self.known)
        self.remember(found)
        return found[parent]

    def remember(self, found: dict) -> None:
        """Keep the interior non-dual nodes' tangents of one walk (the last CACHE of them)."""
        cache = self.found
        for node, t in found.items():
            if node._prev and type(node) is not Dual:
                cache[node] = t
        while len(cache) > CACHE:
            del cache[next(iter(cache))]


@contextmanager
def dual_level() -> Iterator[None]:
    """The block inside which `make_dual` makes duals and their tangents travel.

    Forward mode works inside and around `no_grad()` (it needs no recording). One level at a
    time in a thread: jvp, jacfwd and hvp open their own, so they are called outside such a
    block. The level belongs to the thread that opens it."""
    if _modes.forward is not None:
        raise RuntimeError("dual_level() is already open in this thread: forward mode over "
                           "forward mode (nested levels) is not supported; close the first "
                           "block (jvp, jacfwd and hvp open their own)")
    level = _Level()
    with _node._mode_lock:  # ops look at their thread's modes while a mode block is open
        _node._open_mode_blocks += 1
    _modes.forward = level
    update_special()
    try:
        yield
    finally:
        level.found.clear()
        _modes.forward = None
        update_special()
        with _node._mode_lock:
            _node._open_mode_blocks -= 1


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
    level = _modes.forward
    if level is None:
        raise RuntimeError("make_dual needs an open `with scalargrad.dual_level():` block "
                           "(or use scalargrad.jvp, which opens its own)")
    p = primal.data if isinstance(primal, Value) else _real(primal, "make_dual primal")
    return _dual(p, _real(tangent, "make_dual tangent"), level)


class UnpackedDual(NamedTuple):
    """A value's number and its tangent (None when nothing it depends on carries one)."""

    primal: float
    tangent: Optional[float]


def unpack_dual(value: Value) -> UnpackedDual:
    """(primal, tangent) of a Value: a dual's own, or, for a node not made by an op of the
    level (a micrograd-style node), one worked out from the duals it was computed from;
    tangent None for a Value that depends on no dual of the open level."""
    if not isinstance(value, Value):
        raise TypeError(f"unpack_dual expected a Value (a dual, or a result computed from "
                        f"duals), got {type(value).__name__} {value!r}")
    level = _modes.forward
    if level is None:
        return UnpackedDual(value.data, None)
    return UnpackedDual(value.data, level.tangent_in(value))


def result_tangents(values: list) -> list[float]:
    """The tangents of several results at once (0.0 for one that depends on no dual), by one
    pass over the graph of those that are not duals: what jvp reads at the end."""
    level = _modes.forward
    assert level is not None, "result_tangents() is called inside a dual_level() block"
    found = tangents_of(values, level.known)
    level.remember(found)
    return [0.0 if found[v] is None else found[v] for v in values]  # type: ignore[misc]


def _real(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{where} must be a real number (int or float), got "
                        f"{type(x).__name__} {x!r}")
    return _as_float(x, where)
