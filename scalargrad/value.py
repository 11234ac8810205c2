"""The Value node and its ops.

A `Value` holds one float (`data`), the gradient of the output with respect to it (`grad`),
the parents it was computed from (`_prev`, in order, with repeats) and the op that made it
(`_op`). Each op computes its forward result and, side by side, its *local gradient*
d(result)/d(parent) for every parent, stored in `_local`. `backward()` then applies the chain
rule once per edge: downstream = upstream × local gradient, accumulated with `+=`.

Storing the local gradient as a number (instead of a closure over the output node) means a
node holds no reference to itself, so a graph is freed by reference counting as soon as its
output is dropped, and a backward pass can be replayed or narrated from the numbers alone.
"""

from __future__ import annotations

import builtins
import math
import operator
from numbers import Real
from typing import Iterable, Sequence, Union

from . import graph

Number = Union[int, float]
Operand = Union["Value", int, float]

_new = object.__new__


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


def _result(data: float, parents: tuple, local: tuple, op: str) -> Value:
    """A new node: the op's forward result, its parents and its local gradients."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._prev = parents
    out._local = local
    out._op = op
    return out


def _result_without_graph(data: float, parents: tuple, local: tuple, op: str) -> Value:
    """Like `_result`, but records no parents: used inside `no_grad()`."""
    return _result(data, (), (), "")


# Ops look `_result` up as a module global on every call, so `no_grad()` (and anomaly
# detection) switch behaviour by rebinding it here, at no cost to the default mode.
_make = _result


def _lift(x: Operand, op: str) -> Value:
    """The one place where a plain number becomes a constant leaf of the graph.

    (The binary ops call it only for non-Values: skipping a call per op is ~15% of an add.)
    """
    if isinstance(x, Value):
        return x
    return _result(_as_float(x, op), (), (), "")


class Value:
    """A scalar in a computation graph, with the gradient of the output with respect to it."""

    __slots__ = ("data", "grad", "label", "_prev", "_local", "_op")

    def __init__(self, data: Number, _children: Sequence[Value] = (), _op: str = "",
                 label: str = "", *, _local: Sequence[float] | None = None) -> None:
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label
        self._op = _op
        children = tuple(_children)
        if _local is None:
            if children:
                raise TypeError("Value(): _children were given without their local gradients; "
                                "use Value.from_op(data, parents, local_grads, op)")
            self._local = ()
        else:
            self._local = tuple(_as_float(g, "local gradient") for g in _local)
            if len(self._local) != len(children):
                raise ValueError(f"Value(): {len(children)} parents but {len(self._local)} "
                                 "local gradients; expected one local gradient per parent")
        for child in children:
            if not isinstance(child, Value):
                raise TypeError(f"Value(): parents must be Values, got {type(child).__name__}")
        self._prev = children

    @staticmethod
    def from_op(data: Number, parents: Sequence[Value], local_grads: Sequence[Number],
                op: str = "") -> Value:
        """A node made by a custom op: its forward value, parents, and d(data)/d(parent) each.

        Like the built-in ops it records nothing inside `no_grad()`.
        """
        node = Value(data, parents, op, _local=local_grads)  # checks every argument
        return _make(node.data, node._prev, node._local, node._op)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # -- binary ops: f(a, b) ------------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        """f(a, b) = a + b;  ∂f/∂a = 1,  ∂f/∂b = 1"""
        if not isinstance(other, Value):
            other = _lift(other, "add")
        return _make(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __radd__(self, other: Operand) -> Value:
        return _lift(other, "add") + self

    def __sub__(self, other: Operand) -> Value:
        """f(a, b) = a − b;  ∂f/∂a = 1,  ∂f/∂b = −1"""
        if not isinstance(other, Value):
            other = _lift(other, "sub")
        return _make(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __rsub__(self, other: Operand) -> Value:
        return _lift(other, "sub") - self

    def __mul__(self, other: Operand) -> Value:
        """f(a, b) = a·b;  ∂f/∂a = b,  ∂f/∂b = a"""
        if not isinstance(other, Value):
            other = _lift(other, "mul")
        return _make(self.data * other.data, (self, other), (other.data, self.data), "*")

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
        return _make(out, (self, other), (1.0 / b, -out / b), "/")

    def __rtruediv__(self, other: Operand) -> Value:
        return _lift(other, "div") / self

    def __pow__(self, other: Operand) -> Value:
        """f(a, n) = aⁿ;  ∂f/∂a = n·aⁿ⁻¹,  ∂f/∂n = aⁿ·ln a  (n a number or a Value)"""
        a = self.data
        if isinstance(other, Value):
            n = other.data
            out = _power(a, n)
            return _make(out, (self, other), (_power_slope(a, n), _exponent_slope(a, n, out)),
                         "**")
        n = _as_float(other, "pow")
        return _make(_power(a, n), (self,), (_power_slope(a, n),), f"**{n:g}")

    def __rpow__(self, other: Operand) -> Value:
        return _lift(other, "pow") ** self

    # -- unary ops: f(x) ------------------------------------------------------------------

    def __neg__(self) -> Value:
        """f(x) = −x;  f′(x) = −1"""
        return _make(-self.data, (self,), (-1.0,), "neg")

    def __pos__(self) -> Value:
        return self

    def reciprocal(self) -> Value:
        """f(x) = 1/x;  f′(x) = −1/x²"""
        x = self.data
        if x == 0.0:
            raise ZeroDivisionError("reciprocal: 1/x is undefined at x = 0.0")
        out = 1.0 / x
        return _make(out, (self,), (-out * out,), "reciprocal")

    def exp(self) -> Value:
        """f(x) = eˣ;  f′(x) = eˣ"""
        x = self.data
        try:
            out = math.exp(x)
        except OverflowError:
            raise OverflowError(f"exp: e**{x!r} overflows a float (the largest input with a "
                                "finite result is about 709.78)") from None
        return _make(out, (self,), (out,), "exp")

    def log(self) -> Value:
        """f(x) = ln x;  f′(x) = 1/x  (x > 0)"""
        x = self.data
        if not x > 0.0:
            raise ValueError(f"log: expected a positive input, got {x!r}")
        return _make(math.log(x), (self,), (1.0 / x,), "log")

    def sqrt(self) -> Value:
        """f(x) = √x;  f′(x) = 1/(2√x)  (x ≥ 0; the slope at 0 is +inf)"""
        x = self.data
        if x < 0.0:
            raise ValueError(f"sqrt: expected a non-negative input, got {x!r}")
        out = math.sqrt(x)
        return _make(out, (self,), (0.5 / out if out else math.inf,), "sqrt")

    def tanh(self) -> Value:
        """f(x) = tanh x;  f′(x) = 1 − tanh² x"""
        t = math.tanh(self.data)
        return _make(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        """f(x) = 1/(1 + e⁻ˣ);  f′(x) = f(x)·(1 − f(x))"""
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # e^x instead of e^-x, so a large negative x cannot overflow
            e = math.exp(x)
            s = e / (1.0 + e)
        return _make(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self) -> Value:
        """f(x) = max(0, x);  f′(x) = 1 if x > 0 else 0"""
        x = self.data
        if x > 0.0:
            return _make(x, (self,), (1.0,), "relu")
        return _make(0.0 if x <= 0.0 else x, (self,), (0.0,), "relu")

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """f(x) = x if x > 0 else slope·x;  f′(x) = 1 if x > 0 else slope"""
        x = self.data
        slope = _as_float(slope, "leaky_relu slope")
        if x > 0.0:
            return _make(x, (self,), (1.0,), "leaky_relu")
        return _make(slope * x, (self,), (slope,), "leaky_relu")

    def __abs__(self) -> Value:
        """f(x) = |x|;  f′(x) = sign x  (0 at x = 0)"""
        x = self.data
        return _make(abs(x), (self,), (1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0,), "abs")

    abs = __abs__

    def sin(self) -> Value:
        """f(x) = sin x;  f′(x) = cos x  (x finite)"""
        x = self.data
        try:
            out, slope = math.sin(x), math.cos(x)
        except ValueError:  # math.sin(±inf) says only "math domain error"
            raise ValueError(f"sin: expected a finite input, got {x!r}") from None
        return _make(out, (self,), (slope,), "sin")

    def cos(self) -> Value:
        """f(x) = cos x;  f′(x) = −sin x  (x finite)"""
        x = self.data
        try:
            out, slope = math.cos(x), -math.sin(x)
        except ValueError:  # math.cos(±inf) says only "math domain error"
            raise ValueError(f"cos: expected a finite input, got {x!r}") from None
        return _make(out, (self,), (slope,), "cos")

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

    def _backward(self) -> None:
        """One chain-rule step: add upstream × local gradient into each parent's grad."""
        upstream = self.grad
        for parent, local in zip(self._prev, self._local):
            parent.grad += local * upstream

    def zero_grad(self) -> None:
        """Set `grad` to 0 on this node and on every node it depends on."""
        for node in graph.topological_order(self):
            node.grad = 0.0

    def __deepcopy__(self, memo: dict) -> Value:
        """A copy of the whole graph under this node, made without recursion (any depth).

        Nodes are copied parents first; `memo` (the one `copy.deepcopy` passes) keeps shared
        nodes shared, also with other objects copied in the same call.
        """
        for node in graph.topological_order(self):
            if id(node) not in memo:
                parents = tuple([memo[id(parent)] for parent in node._prev])
                memo[id(node)] = _rebuild(node.data, node.grad, node.label, parents,
                                          node._local, node._op)
        return memo[id(self)]

    def __reduce__(self) -> tuple:
        """Pickle support at any depth (pickle itself recurses once per level of `_prev`).

        A pickled node lists every node under it, parents first, before itself; those nodes
        are then pickled one by one, each referring only to parents pickle has already saved,
        so nothing recurses. Shared nodes stay shared, as with any pickled objects.
        """
        fields = (self.data, self.grad, self.label, self._prev, self._local, self._op)
        if not self._prev or id(self) in _LISTED_FOR_PICKLE:
            _LISTED_FOR_PICKLE.discard(id(self))
            return _rebuild, fields
        under = graph.topological_order(self)[:-1]
        # Only a hint for the nodes' own __reduce__ (a stale id costs one recursion level).
        _LISTED_FOR_PICKLE.clear()
        _LISTED_FOR_PICKLE.update(map(id, under))
        return _unpickle_graph, (under, *fields)

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


def _rebuild(data: float, grad: float, label: str, prev: tuple, local: tuple,
             op: str) -> Value:
    """A node from its fields, exactly as stored (for copies and unpickling)."""
    node = _new(Value)
    node.data, node.grad, node.label = data, grad, label
    node._prev, node._local, node._op = prev, local, op
    return node


def _unpickle_graph(under: list, data: float, grad: float, label: str, prev: tuple,
                    local: tuple, op: str) -> Value:
    # `under` was only there to make pickle save the nodes under this one first.
    return _rebuild(data, grad, label, prev, local, op)


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
    if len(data) == len(values):  # every term is a Value
        parents = tuple(values)
    else:
        data = [_operand_data(v, "sum") for v in values]
        parents = tuple(v for v in values if isinstance(v, Value))
    if isinstance(start, Value):
        parents = (start, *parents)
    total = builtins.sum(data, _operand_data(start, "sum"))
    return _make(total, parents, (1.0,) * len(parents), "sum")


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
        w_data, x_data = data[:n], data[n:]
        parents = operands
        local = (*x_data, *w_data)
    else:  # some operands are plain numbers: constants, with no edge
        data = [v.data if isinstance(v, Value) else _as_float(v, "dot") for v in operands]
        w_data, x_data = data[:n], data[n:]
        parent_list, local_list = [], []
        for v, slope in zip(operands, (*x_data, *w_data)):
            if isinstance(v, Value):
                parent_list.append(v)
                local_list.append(slope)
        parents, local = tuple(parent_list), tuple(local_list)
    if bias is None:
        total = builtins.sum(map(operator.mul, w_data, x_data), 0.0)
    else:
        total = builtins.sum(map(operator.mul, w_data, x_data), _operand_data(bias, "dot"))
        if isinstance(bias, Value):
            parents += (bias,)
            local += (1.0,)
    return _make(total, parents, local, "dot")


def _operand_data(x: Operand, op: str) -> float:
    return x.data if isinstance(x, Value) else _as_float(x, op)
