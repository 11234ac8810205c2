"""The Value node and its ops.

A `Value` holds one float (`data`), the gradient of the output with respect to it (`grad`),
the parents it was computed from (`_prev`, in order, with repeats) and the op that made it
(`_op`, a short string such as '*' or 'tanh', read from its declaration in `ops.py`).

Each op computes its forward result and, right beside it, defines its `_backward` closure:
given the **upstream** gradient (∂L/∂result) it returns the **downstream** gradient for each
parent, upstream × local gradient, lined up with `_prev`. `backward()` walks the graph in
reverse topological order and adds each node's downstream gradients into its parents' `grad`.

A closure captures numbers (the inputs' data, or a local gradient worked out in the forward
pass), never the node it belongs to: a node holds no reference to itself, so a graph is freed
by reference counting the moment its output is dropped. Ops whose local gradients are
constants (+, −, neg, relu, sum of two) share one closure defined once in this module.

micrograd's form works too: `out = Value(t, (x,), 'tanh')`, then `out._backward = f` with a
zero-argument `f` that reads `out.grad` and adds into its parents' `grad` itself.
"""

from __future__ import annotations

import builtins
import math
import operator
import threading
from functools import partial
from numbers import Real
from typing import Callable, Iterable, Sequence, Union

from . import graph
from . import ops as _ops
from .grad_mode import _modes
from .graph import MicrogradBackward, Scaled

Number = Union[int, float]
Operand = Union["Value", int, float]
# An op's `_backward` closure: the upstream gradient in, one downstream gradient per parent
# out (None from a micrograd-style closure, which adds into the parents itself).
Backward = Callable[[float], "Sequence[float] | None"]

_new = object.__new__

# How many grad-mode or anomaly-mode blocks are open in any thread. While it is 0 (the usual
# case) every thread records with anomaly off, so an op skips reading its thread's modes.
# The modes themselves are per thread (`grad_mode._modes`); this is only a hint.
_open_mode_blocks = 0
_mode_lock = threading.Lock()

# The ops' declarations, bound here once (a module global is one lookup cheaper per op).
(_ADD, _SUB, _MUL, _DIV, _POW2, _NEG, _RECIPROCAL, _EXP, _LOG, _SQRT, _TANH, _SIGMOID, _RELU, _ABS,
 _SIN, _COS) = (_ops.ADD, _ops.SUB, _ops.MUL, _ops.DIV, _ops.POW2, _ops.NEG, _ops.RECIPROCAL,
                _ops.EXP, _ops.LOG, _ops.SQRT, _ops.TANH, _ops.SIGMOID, _ops.RELU, _ops.ABS,
                _ops.SIN, _ops.COS)

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
    if isinstance(x, Value):
        raise TypeError(f"{where} expected a real number (int or float), got a Value; "
                        "use the Value itself, or v.data for its number")
    raise TypeError(f"{where} expected a real number (int or float), got "
                    f"{type(x).__name__} {x!r}")


def _make(data: float, parents: tuple, backward: Backward, kind: _ops.Op) -> Value:
    """A new node: the op's forward result, its parents, its `_backward` closure and its op.

    Inside `no_grad()` (in this thread) the node is a leaf; inside `detect_anomaly()` its
    result is checked and where it was made is remembered.
    """
    out = _new(Value)
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
    """`_make` when this thread is inside no_grad() or detect_anomaly()."""
    recording = _modes.grad
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
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._prev = ()
    out._fn = None
    out._kind = None
    return out


def _lift(x: Operand, op: str) -> Value:
    """The one place where a plain number becomes a constant leaf of the graph.

    (The binary ops call it only for non-Values: skipping a call per op is ~15% of an add.)
    """
    if isinstance(x, Value):
        return x
    return _leaf(_as_float(x, op))


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


class Value:
    """A scalar in a computation graph, with the gradient of the output with respect to it."""

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
                backward: Backward | None = None) -> Value:
        """A node made by your own op, from its forward value and its parents, plus either

        * `backward=`: a closure in the lesson's form: it takes the upstream gradient and
          returns the downstream gradient for each parent (upstream × local gradient), e.g.
          `backward=lambda upstream: (upstream * (1 - t * t),)` for tanh; or
        * `local_grads`: the numbers d(data)/d(parent), one per parent.

        Like the built-in ops it records nothing inside `no_grad()`. The closure should
        capture numbers (or the parents), not the node it makes.
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
        if backward is not None:
            if not callable(backward):
                raise TypeError(f"from_op: backward must be a function of the upstream "
                                f"gradient, got {type(backward).__name__}")
            fn = _checked_custom_backward(backward, len(parents), op)
        else:
            local = tuple(_as_float(g, "local gradient") for g in local_grads)  # type: ignore
            if len(local) != len(parents):
                raise ValueError(f"from_op: {len(parents)} parents but {len(local)} local "
                                 "gradients; expected one local gradient per parent")
            fn = Scaled(local)
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

    # -- binary ops: f(a, b) ------------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        """f(a, b) = a + b;  ∂f/∂a = 1,  ∂f/∂b = 1"""
        if not isinstance(other, Value):
            other = _lift(other, "add")
        return _make(self.data + other.data, (self, other), _add_backward, _ADD)

    def __radd__(self, other: Operand) -> Value:
        return _lift(other, "add") + self

    def __sub__(self, other: Operand) -> Value:
        """f(a, b) = a − b;  ∂f/∂a = 1,  ∂f/∂b = −1"""
        if not isinstance(other, Value):
            other = _lift(other, "sub")
        return _make(self.data - other.data, (self, other), _sub_backward, _SUB)

    def __rsub__(self, other: Operand) -> Value:
        return _lift(other, "sub") - self

    def __mul__(self, other: Operand) -> Value:
        """f(a, b) = a·b;  ∂f/∂a = b,  ∂f/∂b = a"""
        if not isinstance(other, Value):
            other = _lift(other, "mul")
        a = self.data
        b = other.data

        def _backward(upstream, a=a, b=b):
            return (upstream * b, upstream * a)

        return _make(a * b, (self, other), _backward, _MUL)

    def __rmul__(self, other: Operand) -> Value:
        return _lift(other, "mul") * self

    def __truediv__(self, other: Operand) -> Value:
        """f(a, b) = a / b;  ∂f/∂a = 1/b,  ∂f/∂b = −a/b²"""
        if not isinstance(other, Value):
            other = _lift(other, "div")
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"div: cannot divide {a!r} by zero")
        out = a / b
        local_a, local_b = 1.0 / b, -out / b

        def _backward(upstream, local_a=local_a, local_b=local_b):
            return (upstream * local_a, upstream * local_b)

        return _make(out, (self, other), _backward, _DIV)

    def __rtruediv__(self, other: Operand) -> Value:
        return _lift(other, "div") / self

    def __pow__(self, other: Operand) -> Value:
        """f(a, n) = aⁿ;  ∂f/∂a = n·aⁿ⁻¹,  ∂f/∂n = aⁿ·ln a  (n a number or a Value)"""
        a = self.data
        if isinstance(other, Value):
            n = other.data
            out = _power(a, n)
            local_a, local_n = _power_slope(a, n), _exponent_slope(a, n, out)

            def _backward(upstream, local_a=local_a, local_n=local_n):
                return (upstream * local_a, upstream * local_n)

            return _make(out, (self, other), _backward, _POW2)
        n = _as_float(other, "pow")
        slope = _power_slope(a, n)

        def _backward_n(upstream, slope=slope):
            return (upstream * slope,)

        return _make(_power(a, n), (self,), _backward_n, _ops.pow_op(n))

    def __rpow__(self, other: Operand) -> Value:
        return _lift(other, "pow") ** self

    # -- unary ops: f(x) ------------------------------------------------------------------

    def __neg__(self) -> Value:
        """f(x) = −x;  f′(x) = −1"""
        return _make(-self.data, (self,), _neg_backward, _NEG)

    def __pos__(self) -> Value:
        return self

    def reciprocal(self) -> Value:
        """f(x) = 1/x;  f′(x) = −1/x²"""
        x = self.data
        if x == 0.0:
            raise ZeroDivisionError("reciprocal: 1/x is undefined at x = 0.0")
        out = 1.0 / x
        local = -out * out

        def _backward(upstream, local=local):
            return (upstream * local,)

        return _make(out, (self,), _backward, _RECIPROCAL)

    def exp(self) -> Value:
        """f(x) = eˣ;  f′(x) = eˣ"""
        x = self.data
        try:
            out = math.exp(x)
        except OverflowError:
            raise OverflowError(f"exp: e**{x!r} overflows a float (the largest input with a "
                                "finite result is about 709.78)") from None

        def _backward(upstream, out=out):
            return (upstream * out,)

        return _make(out, (self,), _backward, _EXP)

    def log(self) -> Value:
        """f(x) = ln x;  f′(x) = 1/x  (x > 0)"""
        x = self.data
        if not x > 0.0:
            raise ValueError(f"log: expected a positive input, got {x!r}")
        local = 1.0 / x

        def _backward(upstream, local=local):
            return (upstream * local,)

        return _make(math.log(x), (self,), _backward, _LOG)

    def sqrt(self) -> Value:
        """f(x) = √x;  f′(x) = 1/(2√x)  (x ≥ 0; the slope at 0 is +inf)"""
        x = self.data
        if x < 0.0:
            raise ValueError(f"sqrt: expected a non-negative input, got {x!r}")
        out = math.sqrt(x)
        local = 0.5 / out if out else math.inf

        def _backward(upstream, local=local):
            return (upstream * local,)

        return _make(out, (self,), _backward, _SQRT)

    def tanh(self) -> Value:
        """f(x) = tanh x;  f′(x) = 1 − tanh² x"""
        t = math.tanh(self.data)
        local = 1.0 - t * t

        def _backward(upstream, local=local):
            return (upstream * local,)

        return _make(t, (self,), _backward, _TANH)

    def sigmoid(self) -> Value:
        """f(x) = 1/(1 + e⁻ˣ);  f′(x) = f(x)·(1 − f(x))"""
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # e^x instead of e^-x, so a large negative x cannot overflow
            e = math.exp(x)
            s = e / (1.0 + e)
        local = s * (1.0 - s)

        def _backward(upstream, local=local):
            return (upstream * local,)

        return _make(s, (self,), _backward, _SIGMOID)

    def relu(self) -> Value:
        """f(x) = max(0, x);  f′(x) = 1 if x > 0 else 0  (two shared closures: pass, block)"""
        x = self.data
        if x > 0.0:
            return _make(x, (self,), _pass_backward, _RELU)
        return _make(0.0 if x <= 0.0 else x, (self,), _block_backward, _RELU)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """f(x) = x if x > 0 else slope·x;  f′(x) = 1 if x > 0 else slope"""
        x = self.data
        slope = _as_float(slope, "leaky_relu slope")
        kind = _ops.leaky_relu_op(slope)
        if x > 0.0:
            return _make(x, (self,), _pass_backward, kind)

        def _backward(upstream, slope=slope):
            return (upstream * slope,)

        return _make(slope * x, (self,), _backward, kind)

    def __abs__(self) -> Value:
        """f(x) = |x|;  f′(x) = sign x  (0 at x = 0)"""
        x = self.data
        backward = (_pass_backward if x > 0.0 else _neg_backward if x < 0.0
                    else _block_backward)
        return _make(abs(x), (self,), backward, _ABS)

    abs = __abs__

    def sin(self) -> Value:
        """f(x) = sin x;  f′(x) = cos x  (x finite)"""
        x = self.data
        try:
            out, local = math.sin(x), math.cos(x)
        except ValueError:  # math.sin(±inf) says only "math domain error"
            raise ValueError(f"sin: expected a finite input, got {x!r}") from None

        def _backward(upstream, local=local):
            return (upstream * local,)

        return _make(out, (self,), _backward, _SIN)

    def cos(self) -> Value:
        """f(x) = cos x;  f′(x) = −sin x  (x finite)"""
        x = self.data
        try:
            out, local = math.cos(x), -math.sin(x)
        except ValueError:  # math.cos(±inf) says only "math domain error"
            raise ValueError(f"cos: expected a finite input, got {x!r}") from None

        def _backward(upstream, local=local):
            return (upstream * local,)

        return _make(out, (self,), _backward, _COS)

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

    def backward(self, grad: float = 1.0) -> None:
        """Fill in `grad` for every node this one depends on (reverse-mode autodiff).

        Seeds this node with `grad` (1 by default), then walks the graph in reverse
        topological order. Every interior node's `grad` is recomputed from scratch; every
        leaf's `grad` is *added to*, so calling backward twice doubles the leaf gradients
        (call `zero_grad()` between steps), exactly as PyTorch accumulates into `.grad`.
        """
        graph.backward(self, _as_float(grad, "backward grad"))

    def zero_grad(self) -> None:
        """Set `grad` to 0 on this node and on every node it depends on."""
        for node in graph.topological_order(self):
            node.grad = 0.0

    def __deepcopy__(self, memo: dict) -> Value:
        """A copy of the whole graph under this node, made without recursion (any depth).

        Nodes are copied parents first; `memo` (the one `copy.deepcopy` passes) keeps shared
        nodes shared, also with other objects copied in the same call. The copies share the
        original's `_backward` closures, which hold only numbers.
        """
        for node in graph.topological_order(self):
            if id(node) not in memo:
                if type(node._fn) is MicrogradBackward:
                    raise TypeError(f"cannot copy a node whose _backward was set by hand (op "
                                    f"{node._op!r}): its function refers to the original "
                                    "nodes; build it with Value.from_op(..., backward=...)")
                parents = tuple([memo[id(parent)] for parent in node._prev])
                copy = _rebuild(node.data, node.grad, node.label, parents, node._fn,
                                node._kind)
                if node.__dict__:
                    copy.__dict__.update(node.__dict__)
                memo[id(node)] = copy
        return memo[id(self)]

    def __reduce__(self) -> tuple:
        """Pickle support at any depth (pickle itself recurses once per level of `_prev`).

        A pickled node lists every node under it, parents first, before itself; those nodes
        are then pickled one by one, each referring only to parents pickle has already saved,
        so nothing recurses. Shared nodes stay shared, as with any pickled objects. A closure
        cannot be pickled, so a node's backward is saved as its local gradients (the shared
        closures of this module are saved by name).
        """
        fields = (self.data, self.grad, self.label, self._prev, _picklable_backward(self),
                  self._kind)
        attributes = self.__dict__ or None  # the user's own attributes, if any
        if not self._prev or id(self) in _LISTED_FOR_PICKLE:
            _LISTED_FOR_PICKLE.discard(id(self))
            return _rebuild, fields, attributes
        under = graph.topological_order(self)[:-1]
        # Only a hint for the nodes' own __reduce__ (a stale id costs one recursion level).
        _LISTED_FOR_PICKLE.clear()
        _LISTED_FOR_PICKLE.update(map(id, under))
        return _unpickle_graph, (under, *fields), attributes

    def detach(self) -> Value:
        """A new leaf with the same data and no history: a constant for later ops."""
        return Value(self.data)

    def item(self) -> float:
        """The forward value as a plain float."""
        return self.data

    def _repr_html_(self) -> str:  # Jupyter: a small card with label, data, grad and op
        from .display import value_html

        return value_html(self)

    def _repr_markdown_(self) -> str:
        from .display import value_markdown

        return value_markdown(self)


# Nodes a pickled graph lists before its output: pickled on their own, without their graph.
_LISTED_FOR_PICKLE: set[int] = set()


def _rebuild(data: float, grad: float, label: str, prev: tuple, fn: Backward | None,
             kind: _ops.Op | None) -> Value:
    """A node from its fields, exactly as stored (for copies and unpickling)."""
    node = _new(Value)
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


def _checked_custom_backward(backward: Backward, n: int, op: str) -> Backward:
    """A user's lesson-form closure, checked: it must give one downstream number per parent."""

    def _backward(upstream):
        downs = backward(upstream)
        if not isinstance(downs, (tuple, list)) or len(downs) != n:
            raise TypeError(f"the backward of op {op!r} returned {downs!r}; expected a tuple of "
                            f"{n} downstream gradient{'s' if n != 1 else ''}, one per parent")
        return tuple([_as_float(d, f"the backward of op {op!r}") for d in downs])

    return _backward


def _data(x: Operand) -> float:
    return x.data if isinstance(x, Value) else _as_float(x, "comparison")


def _power(a: float, n: float) -> float:
    """aⁿ for floats, with errors that name pow and its inputs."""
    if a == 0.0 and n < 0.0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to the negative power {n!r}")
    if a < 0.0 and math.isfinite(n) and not n.is_integer():
        raise ValueError(f"pow: a negative base {a!r} with the non-integer exponent {n!r} "
                         "has no real result")
    try:
        out = a ** n
    except OverflowError:
        out = math.inf
    if math.isinf(out) and math.isfinite(a) and math.isfinite(n):  # PyPy gives inf, no error
        raise OverflowError(f"pow: {a!r} ** {n!r} overflows a float")
    return out


def _power_slope(a: float, n: float) -> float:
    """∂(aⁿ)/∂a = n·aⁿ⁻¹ (0 when n = 0; ±inf at a = 0 when n < 1, as in PyTorch)."""
    if n == 0.0:
        return 0.0
    if a == 0.0 and n < 1.0:
        return math.copysign(math.inf, n)
    try:
        return n * a ** (n - 1.0)
    except OverflowError:  # |aⁿ⁻¹| is beyond the float range; aⁿ⁻¹ < 0 for a < 0 and n − 1 odd
        negative = a < 0.0 and (n - 1.0) % 2.0 == 1.0
        return math.copysign(math.inf, -n if negative else n)


def _exponent_slope(a: float, n: float, out: float) -> float:
    """∂(aⁿ)/∂n = aⁿ·ln a (0 at a = 0 for n ≥ 0 and NaN for a < 0, as in PyTorch)."""
    if a > 0.0:
        return out * math.log(a)
    if a == 0.0 and n >= 0.0:
        return 0.0
    return math.nan


def sum(values: Iterable[Operand], start: Operand = 0.0) -> Value:  # noqa: A001
    """f(x₁, …, xₙ) = start + x₁ + … + xₙ as one node;  ∂f/∂xᵢ = 1.

    The same result and gradients as chaining `+` left to right, with one node instead of n.
    A plain-number `start` (or term) is a constant and gets no edge.
    """
    values = list(values)
    data = [v.data for v in values if isinstance(v, Value)]
    const = 0.0  # the plain-number terms: part of the op, not parents
    if len(data) == len(values):  # every term is a Value
        parents = tuple(values)
    else:
        data = [_operand_data(v, "sum") for v in values]
        parents = tuple(v for v in values if isinstance(v, Value))
        const = builtins.sum([x for v, x in zip(values, data) if not isinstance(v, Value)], 0.0)
    if isinstance(start, Value):
        parents = (start, *parents)
        start_data = start.data
    else:
        start_data = _as_float(start, "sum")
        const = start_data + const
    total = builtins.sum(data, start_data)
    kind = _ops.sum_op(const)
    n = len(parents)
    if n == 2:
        return _make(total, parents, _add_backward, kind)
    if n == 1:
        return _make(total, parents, _pass_backward, kind)

    def _backward(upstream, n=n):
        return (upstream,) * n

    return _make(total, parents, _backward, kind)


def dot(weights: Sequence[Operand], inputs: Sequence[Operand],
        bias: Operand | None = None) -> Value:
    """f(w, x, b) = Σ wᵢ·xᵢ + b as one node;  ∂f/∂wᵢ = xᵢ,  ∂f/∂xᵢ = wᵢ,  ∂f/∂b = 1.

    A neuron's pre-activation in a single node. `weights` and `inputs` must have the same
    length (no silent truncation); plain numbers among them are constants and get no edge.
    """
    n = len(weights)
    if len(inputs) != n:
        raise ValueError(f"dot: {n} weights but {len(inputs)} inputs; "
                         "expected the same number of each")
    # Edges in the order weights, inputs; a weight's local gradient is its input, and an
    # input's is its weight.
    operands = (*weights, *inputs)
    data = [v.data for v in operands if isinstance(v, Value)]
    if len(data) == 2 * n:  # every operand is a Value: one edge each
        parents = operands
        w_data, x_data = data[:n], data[n:]
        local = x_data + w_data
        layout_list: list[float | None] | None = None
    else:  # some operands are plain numbers: constants, with no edge
        data = []
        layout_list = []  # the op's parameter: None for a Value, else the constant
        for v in operands:
            if isinstance(v, Value):
                data.append(v.data)
                layout_list.append(None)
            else:
                x = _as_float(v, "dot")
                data.append(x)
                layout_list.append(x)
        w_data, x_data = data[:n], data[n:]
        parent_list: list[Value] = []
        local_list: list[float] = []
        for v, slope in zip(operands, (*x_data, *w_data)):
            if isinstance(v, Value):
                parent_list.append(v)
                local_list.append(slope)
        parents, local = tuple(parent_list), local_list
    if bias is None:
        total = builtins.sum(map(operator.mul, w_data, x_data), 0.0)
    else:
        bias_data = _operand_data(bias, "dot")
        total = builtins.sum(map(operator.mul, w_data, x_data), bias_data)
        if isinstance(bias, Value):
            parents += (bias,)
            local.append(1.0)
            if layout_list is not None:
                layout_list.append(None)
        elif layout_list is None:
            layout_list = [None] * (2 * n)
            layout_list.append(bias_data)
        else:
            layout_list.append(bias_data)
    if layout_list is None:  # every operand a Value: the shared declaration
        kind = _ops.DOT if bias is None else _ops.DOT_BIAS
    else:  # (declarations are cached by layout: the same constant inputs come back)
        layout = tuple(layout_list)
        kind = _ops._DOT_CACHE.get(layout) or _ops.dot_op(layout, n, bias is not None)

    # Each operand's local gradient is its partner's number (the bias's is 1), so the closure
    # is a `Scaled` holding them: downstream = upstream × each. (backward() applies its
    # products inline, without a list.)
    return _make(total, parents, Scaled(local), kind)


def _operand_data(x: Operand, op: str) -> float:
    return x.data if isinstance(x, Value) else _as_float(x, op)
