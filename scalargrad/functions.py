"""The functions of one input: −x, 1/x, eˣ, ln x, √x, tanh, sigmoid, relu, leaky relu,
|x|, sin and cos.

Each method computes the forward result and, beside it, its `_backward` closure (or one of the
shared closures of `node.py` when the local gradient is a constant); `Value` inherits them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from . import ops as _ops
from .node import _as_float, _block_backward, _make, _neg_backward, _pass_backward

if TYPE_CHECKING:
    from .value import Value

(_NEG, _RECIPROCAL, _EXP, _LOG, _SQRT, _TANH, _SIGMOID, _RELU, _ABS, _SIN, _COS) = (
    _ops.NEG, _ops.RECIPROCAL, _ops.EXP, _ops.LOG, _ops.SQRT, _ops.TANH, _ops.SIGMOID,
    _ops.RELU, _ops.ABS, _ops.SIN, _ops.COS)


class Functions:
    """The one-input ops of `Value`."""

    __slots__ = ()
    data: float

    # -- unary ops: f(x) ------------------------------------------------------------------

    def __neg__(self) -> Value:
        """f(x) = −x;  f′(x) = −1"""
        return _make(-self.data, (self,), _neg_backward, _NEG)

    @_ops.graph_form("neg")
    def _neg_graph(node: Value, upstream: Value) -> tuple:
        return (-upstream,)

    def __pos__(self) -> Value:
        return self  # type: ignore[return-value]  # (self is a Value)

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

    @_ops.graph_form("reciprocal")
    def _reciprocal_graph(node: Value, upstream: Value) -> tuple:
        return (-upstream * node * node,)

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

    @_ops.graph_form("exp")
    def _exp_graph(node: Value, upstream: Value) -> tuple:
        return (upstream * node,)

    def log(self) -> Value:
        """f(x) = ln x;  f′(x) = 1/x  (x > 0)"""
        x = self.data
        if not x > 0.0:
            raise ValueError(f"log: expected a positive input, got {x!r}")
        local = 1.0 / x

        def _backward(upstream, local=local):
            return (upstream * local,)

        return _make(math.log(x), (self,), _backward, _LOG)

    @_ops.graph_form("log")
    def _log_graph(node: Value, upstream: Value) -> tuple:
        return (upstream / node._prev[0],)

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

    @_ops.graph_form("sqrt")
    def _sqrt_graph(node: Value, upstream: Value) -> tuple:
        if node.data == 0.0:  # the slope is +inf there: a constant
            return (upstream * math.inf,)
        return (upstream * 0.5 / node,)

    def tanh(self) -> Value:
        """f(x) = tanh x;  f′(x) = 1 − tanh² x"""
        t = math.tanh(self.data)
        local = 1.0 - t * t

        def _backward(upstream, local=local):
            return (upstream * local,)

        return _make(t, (self,), _backward, _TANH)

    @_ops.graph_form("tanh")
    def _tanh_graph(node: Value, upstream: Value) -> tuple:
        return (upstream * (1.0 - node * node),)

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

    @_ops.graph_form("sigmoid")
    def _sigmoid_graph(node: Value, upstream: Value) -> tuple:
        return (upstream * node * (1.0 - node),)

    def relu(self) -> Value:
        """f(x) = max(0, x);  f′(x) = 1 if x > 0 else 0  (two shared closures: pass, block)"""
        x = self.data
        if x > 0.0:
            return _make(x, (self,), _pass_backward, _RELU)
        return _make(0.0 if x <= 0.0 else x, (self,), _block_backward, _RELU)

    @_ops.graph_form("relu")
    def _relu_graph(node: Value, upstream: Value) -> tuple:  # a constant local gradient: 1 or 0
        return (upstream * (1.0 if node._prev[0].data > 0.0 else 0.0),)

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

    @_ops.graph_form("leaky_relu")
    def _leaky_relu_graph(node: Value, upstream: Value) -> tuple:
        slope: float = node._kind.param  # type: ignore[union-attr,assignment]
        return (upstream * (1.0 if node._prev[0].data > 0.0 else slope),)

    def __abs__(self) -> Value:
        """f(x) = |x|;  f′(x) = sign x  (0 at x = 0)"""
        x = self.data
        backward = (_pass_backward if x > 0.0 else _neg_backward if x < 0.0
                    else _block_backward)
        return _make(abs(x), (self,), backward, _ABS)

    @_ops.graph_form("abs")
    def _abs_graph(node: Value, upstream: Value) -> tuple:  # sign x, constant (0 at x = 0)
        x = node._prev[0].data
        return (upstream * (1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0),)

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

    @_ops.graph_form("sin")
    def _sin_graph(node: Value, upstream: Value) -> tuple:
        return (upstream * node._prev[0].cos(),)

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

    @_ops.graph_form("cos")
    def _cos_graph(node: Value, upstream: Value) -> tuple:
        return (-upstream * node._prev[0].sin(),)
