"""The Value node: one number, its gradient, its parents and the op that made it.

A `Value` holds one float (`data`), the gradient of the output with respect to it (`grad`),
the parents it was computed from (`_prev`, in order, with repeats) and the op that made it
(`_op`, a short string such as '*' or 'tanh', read from its declaration in `ops.py`).

Each op computes its forward result and, right beside it, defines its `_backward` closure:
given the **upstream** gradient (∂L/∂result) it returns the **downstream** gradient for each
parent, upstream × local gradient, lined up with `_prev`. The ops live in `arithmetic.py`
(a + b, a·b, …) and `functions.py` (exp, tanh, …), which `Value` inherits; `fused.py` has
`sum` and `dot`. `backward()` (in `graph.py`) walks the graph in reverse topological order
and adds each node's downstream gradients into its parents' `grad`.

A closure captures numbers (the inputs' data, or a local gradient worked out in the forward
pass), never the node it belongs to: a node holds no reference to itself, so a graph is freed
by reference counting the moment its output is dropped.

micrograd's form works too: `out = Value(t, (x,), 'tanh')`, then `out._backward = f` with a
zero-argument `f` that reads `out.grad` and adds into its parents' `grad` itself.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterable, Sequence

from . import backward_graph, copying, graph, hooks, rich
from . import node as _node
from . import ops as _ops
from .arithmetic import Arithmetic
from .backward_graph import CustomBackward, WithGraphForm
from .functions import Functions
from .graph import MicrogradBackward, Scaled
from .node import Backward, Number, Operand, _as_float, _backward_not_set, _make

__all__ = ["Value"]

class Value(Arithmetic, Functions):
    """A scalar in a computation graph, with the gradient of the output with respect to it.

    Its ops (`+`, `*`, `**`, `exp()`, `tanh()`, …) come from `Arithmetic` and `Functions`."""

    # `__dict__` lets users attach their own attributes (p.m = 0 for an optimizer): it costs
    # one pointer per node, and no dict until an attribute is set.
    __slots__ = ("data", "grad", "label", "_prev", "_fn", "_kind", "__dict__")
    data: float
    grad: float
    label: str
    _prev: tuple[Value, ...]
    _fn: Backward | None  # None for a leaf
    _kind: _ops.Op | None  # None for a leaf

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: str = "",
                 label: str = "") -> None:
        """A leaf, or (micrograd's way) a node made by your own op: its parents `_children`
        and op name `_op`; then set `out._backward` to a function that adds into the parents'
        grads (see `from_op` for the closure form the built-in ops use)."""
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label
        children = tuple(_children)
        for child in children:
            if not isinstance(child, Value):
                raise TypeError(f"Value(): parents must be Values, got {type(child).__name__}")
        if not isinstance(_op, str):
            raise TypeError(f"Value(): _op must be a string naming the op, got "
                            f"{type(_op).__name__} {_op!r}")
        self._prev = children
        self._fn = _backward_not_set if children else None
        self._kind = _ops.custom_op(_op) if children or _op else None

    @staticmethod
    def from_op(data: Number, parents: Sequence[Value],
                local_grads: Sequence[Number] | None = None, op: str = "", *,
                backward: Backward | None = None,
                backward_graph: Callable[[Value], Sequence[Value]] | None = None) -> Value:
        """A node made by your own op, from its forward value and its parents, plus either

        * `backward=`: a closure in the lesson's form: it takes the upstream gradient and
          returns the downstream gradient for each parent (upstream × local gradient), e.g.
          `backward=lambda upstream: (upstream * (1 - t * t),)` for tanh; or
        * `local_grads`: the numbers d(data)/d(parent), one per parent.

        A closure written with Value arithmetic on the parents (`upstream * 3 * x ** 2`)
        also serves `backward(create_graph=True)`: its gradient can be differentiated
        again. `backward_graph=` gives that Value form beside `local_grads` (or a float
        closure). Like the built-in ops it records nothing inside `no_grad()`. The closure
        should capture numbers (or the parents), not the node it makes.
        """
        value = _as_float(data, "from_op data")
        parents = tuple(parents)
        for parent in parents:
            if not isinstance(parent, Value):
                raise TypeError(f"from_op: parents must be Values, got {type(parent).__name__}")
        if not isinstance(op, str):
            raise TypeError(f"from_op: op must be a string, got {type(op).__name__} {op!r}")
        if (local_grads is None) == (backward is None):
            raise TypeError("from_op: give either local_grads (one number per parent) or "
                            "backward= (a function of the upstream gradient), not "
                            + ("both" if backward is not None else "neither"))
        fn: Any
        if backward is not None:
            if not callable(backward):
                raise TypeError(f"from_op: backward must be a function of the upstream "
                                f"gradient, got {type(backward).__name__}")
            fn = CustomBackward(backward, len(parents), op)
        else:
            local = tuple(_as_float(g, "local gradient") for g in local_grads)  # type: ignore
            if len(local) != len(parents):
                raise ValueError(f"from_op: {len(parents)} parents but {len(local)} local "
                                 "gradients; expected one local gradient per parent")
            fn = Scaled(local)
        if backward_graph is not None:
            if not callable(backward_graph):
                raise TypeError(f"from_op: backward_graph must be a function of the upstream "
                                f"gradient, got {type(backward_graph).__name__}")
            fn = WithGraphForm(fn, backward_graph, op)
        return _make(value, parents, fn, _ops.custom_op(op))

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    @property
    def _op(self) -> str:
        """The op that made this node as a short string ('+', '*', '**2', 'tanh'; '' for a
        leaf), as micrograd stores it; the full declaration is `self._kind`."""
        kind = self._kind
        return kind.symbol if kind is not None else ""

    @property
    def _backward(self) -> Callable[[], None]:
        """One chain-rule step by hand, micrograd's way: set `out.grad`, call `out._backward()`,
        and every parent's grad has this node's downstream gradient added to it.

        For a node whose `_backward` you set yourself, this is your function."""
        fn = self._fn
        if type(fn) is MicrogradBackward:
            return fn.step
        return partial(graph.step, self)

    @_backward.setter
    def _backward(self, step: Callable[[], None]) -> None:
        """micrograd's way to give a node its backward: a function of no arguments that reads
        the node's grad and adds into its parents' grads (`self.grad += ... * out.grad`)."""
        if not callable(step):
            raise TypeError(f"_backward must be a function, got {type(step).__name__}")
        self._fn = MicrogradBackward(step)


    # -- comparisons (of data; equality and hashing stay by identity, for dicts and sets) --

    def __lt__(self, other: Operand) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _data(other)

    __hash__ = object.__hash__

    # -- the graph ------------------------------------------------------------------------

    def backward(self, grad: float | Value = 1.0, *, create_graph: bool = False) -> None:
        """Fill in `grad` for every node this one depends on (reverse-mode autodiff).

        Seeds this node with `grad` (1 by default), then walks the graph in reverse
        topological order. Every interior node's `grad` is recomputed from scratch; every
        leaf's `grad` is *added to*, so calling backward twice doubles the leaf gradients
        (call `zero_grad()` between steps), exactly as PyTorch accumulates into `.grad`.

        With `create_graph=True` every `grad` is a Value instead of a float: its graph is the
        backward pass, made of the same ops, so it can be drawn, narrated and differentiated
        again (`x.grad.backward()`, or `scalargrad.grad(grad(f))`).
        """
        if create_graph is True:
            backward_graph.backward(self, grad, create_graph=True)
        elif create_graph is False:
            graph.backward(self, _as_float(grad, "backward grad"))
        else:
            raise TypeError(f"backward: create_graph must be True or False, got "
                            f"{create_graph!r}")

    def register_hook(self, fn: Callable[[Any], Any]) -> hooks.RemovableHandle:
        """Call `fn(grad)` with the gradient arriving at this node in each backward pass; a
        value it returns (not None) replaces that gradient. `handle.remove()` undoes it."""
        return hooks.register_hook(self, fn)

    def zero_grad(self) -> None:
        """Set `grad` to 0 on this node and on every node it depends on."""
        for node in graph.topological_order(self):
            node.grad = 0.0

    def __deepcopy__(self, memo: dict) -> Value:
        """A copy of the whole graph under this node, made without recursion (any depth)."""
        return copying.deepcopy(self, memo)

    def __reduce__(self) -> tuple:
        """Pickle support at any depth, without recursion (see `copying.reduce`)."""
        return copying.reduce(self)

    def detach(self) -> Value:
        """A new leaf with the same data and no history: a constant for later ops."""
        return Value(self.data)

    def item(self) -> float:
        """The forward value as a plain float."""
        return self.data

    def _repr_html_(self) -> str | None:  # Jupyter: a card with label, data, grad and op
        return rich.show(self, "html")

    def _repr_markdown_(self) -> str | None:
        return rich.show(self, "markdown")


_node._Value = Value  # the class every op's `_make` instantiates


def _data(x: Operand) -> float:
    return x.data if isinstance(x, Value) else _as_float(x, "comparison")
