"""The arithmetic ops: a + b, a − b, a·b, a / b, aⁿ, and their reflected forms (2 * x).

Each method computes the forward result and, beside it, its `_backward` closure; `Value`
inherits them. A plain number is turned into a constant leaf in one place, `_lift`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from . import ops as _ops
from .node import Operand, _add_backward, _as_float, _leaf, _make, _sub_backward

if TYPE_CHECKING:
    from .value import Value

_ADD, _SUB, _MUL, _DIV, _POW2 = _ops.ADD, _ops.SUB, _ops.MUL, _ops.DIV, _ops.POW2


def _lift(x: Operand, op: str) -> Value:
    """The one place where a plain number becomes a constant leaf of the graph.

    (The binary ops call it only for non-Values: skipping a call per op is ~15% of an add.)
    """
    if isinstance(x, Arithmetic):
        return x
    return _leaf(_as_float(x, op))


class Arithmetic:
    """The binary ops of `Value` (every Value is an `Arithmetic`, so `isinstance(x,
    Arithmetic)` is the test for "x is a Value" here)."""

    __slots__ = ()
    data: float

    # -- binary ops: f(a, b) ------------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        """f(a, b) = a + b;  ∂f/∂a = 1,  ∂f/∂b = 1"""
        if not isinstance(other, Arithmetic):
            other = _lift(other, "add")
        return _make(self.data + other.data, (self, other), _add_backward, _ADD)

    @_ops.graph_form("add")
    def _add_graph(node: Value, upstream: Value) -> tuple:
        return (upstream, upstream)

    def __radd__(self, other: Operand) -> Value:
        return _lift(other, "add") + self

    def __sub__(self, other: Operand) -> Value:
        """f(a, b) = a − b;  ∂f/∂a = 1,  ∂f/∂b = −1"""
        if not isinstance(other, Arithmetic):
            other = _lift(other, "sub")
        return _make(self.data - other.data, (self, other), _sub_backward, _SUB)

    @_ops.graph_form("sub")
    def _sub_graph(node: Value, upstream: Value) -> tuple:
        return (upstream, -upstream)

    def __rsub__(self, other: Operand) -> Value:
        return _lift(other, "sub") - self

    def __mul__(self, other: Operand) -> Value:
        """f(a, b) = a·b;  ∂f/∂a = b,  ∂f/∂b = a"""
        if not isinstance(other, Arithmetic):
            other = _lift(other, "mul")
        a = self.data
        b = other.data

        def _backward(upstream, a=a, b=b):
            return (upstream * b, upstream * a)

        return _make(a * b, (self, other), _backward, _MUL)

    @_ops.graph_form("mul")
    def _mul_graph(node: Value, upstream: Value) -> tuple:
        a, b = node._prev
        return (upstream * b, upstream * a)

    def __rmul__(self, other: Operand) -> Value:
        return _lift(other, "mul") * self

    def __truediv__(self, other: Operand) -> Value:
        """f(a, b) = a / b;  ∂f/∂a = 1/b,  ∂f/∂b = −a/b²"""
        if not isinstance(other, Arithmetic):
            other = _lift(other, "div")
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"div: cannot divide {a!r} by zero")
        out = a / b
        local_a, local_b = 1.0 / b, -out / b

        def _backward(upstream, local_a=local_a, local_b=local_b):
            return (upstream * local_a, upstream * local_b)

        return _make(out, (self, other), _backward, _DIV)

    @_ops.graph_form("div")
    def _div_graph(node: Value, upstream: Value) -> tuple:
        a, b = node._prev
        return (upstream / b, -upstream * a / (b * b))

    def __rtruediv__(self, other: Operand) -> Value:
        return _lift(other, "div") / self

    def __pow__(self, other: Operand) -> Value:
        """f(a, n) = aⁿ;  ∂f/∂a = n·aⁿ⁻¹,  ∂f/∂n = aⁿ·ln a  (n a number or a Value)"""
        a = self.data
        if isinstance(other, Arithmetic):
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

    @_ops.graph_form("pow")
    def _pow_graph(node: Value, upstream: Value) -> tuple:
        if len(node._prev) == 2:  # aⁿ with n a Value
            a, n = node._prev
            local_n = node * a.log() if a.data > 0.0 else _exponent_slope(a.data, n.data,
                                                                          node.data)
            return (upstream * n * a ** (n - 1.0), upstream * local_n)
        (a,) = node._prev
        e: float = node._kind.param  # type: ignore[union-attr,assignment]
        if e == 0.0:
            return (upstream * 0.0,)
        if a.data == 0.0 and e < 1.0:  # the slope is ±inf there: a constant
            return (upstream * _power_slope(0.0, e),)
        return (upstream * e * a ** (e - 1.0),)

    def __rpow__(self, other: Operand) -> Value:
        return _lift(other, "pow") ** self


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
