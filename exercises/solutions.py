"""Reference answers for the workbook (spoilers!). `python -m exercises --solutions` checks them.

Try the workbook first: the point is to work each gradient out yourself.
"""

import math

from scalargrad import Value
from scalargrad.graph import local_gradients

# ── Part A: write the backward ───────────────────────────────────────────────────────────


def neg(x: Value) -> Value:
    """f(x) = −x"""
    out = -x.data

    def _backward(upstream: float) -> tuple[float]:
        return (-upstream,)  # the local gradient is −1

    return Value.from_op(out, (x,), op="neg", backward=_backward)


def mul(a: Value, b: Value) -> Value:
    """f(a, b) = a·b"""
    out = a.data * b.data

    def _backward(upstream: float) -> tuple[float, float]:
        return (upstream * b.data, upstream * a.data)  # each local gradient: the other input

    return Value.from_op(out, (a, b), op="mul", backward=_backward)


def exp(x: Value) -> Value:
    """f(x) = eˣ"""
    out = math.exp(x.data)

    def _backward(upstream: float) -> tuple[float]:
        return (upstream * out,)  # eˣ is its own derivative: the closure can use `out`

    return Value.from_op(out, (x,), op="exp", backward=_backward)


def reciprocal(x: Value) -> Value:
    """f(x) = 1/x  (x ≠ 0)"""
    out = 1.0 / x.data

    def _backward(upstream: float) -> tuple[float]:
        return (upstream * -out * out,)  # −1/x² = −out²

    return Value.from_op(out, (x,), op="reciprocal", backward=_backward)


def div(a: Value, b: Value) -> Value:
    """f(a, b) = a / b  (b ≠ 0)"""
    out = a.data / b.data

    def _backward(upstream: float) -> tuple[float, float]:
        return (upstream / b.data, upstream * -out / b.data)  # 1/b for a; −a/b² = −out/b for b

    return Value.from_op(out, (a, b), op="div", backward=_backward)


def sigmoid(x: Value) -> Value:
    """f(x) = σ(x) = 1/(1 + e⁻ˣ)"""
    out = 1.0 / (1.0 + math.exp(-x.data))

    def _backward(upstream: float) -> tuple[float]:
        return (upstream * out * (1.0 - out),)  # σ′ = σ·(1 − σ)

    return Value.from_op(out, (x,), op="sigmoid", backward=_backward)


def tanh(x: Value) -> Value:
    """f(x) = tanh x"""
    out = math.tanh(x.data)

    def _backward(upstream: float) -> tuple[float]:
        return (upstream * (1.0 - out * out),)  # 1 − tanh²x

    return Value.from_op(out, (x,), op="tanh", backward=_backward)


def softplus(x: Value) -> Value:
    """f(x) = ln(1 + eˣ)"""
    out = math.log1p(math.exp(x.data))

    def _backward(upstream: float) -> tuple[float]:
        return (upstream / (1.0 + math.exp(-x.data)),)  # the sigmoid

    return Value.from_op(out, (x,), op="softplus", backward=_backward)


# ── Part B: predict the gradient ─────────────────────────────────────────────────────────

P1 = 0.25  # 1 · (−1/4) · 1 · 1 · (−1)
P2 = 5.0  # 2 + 3: x is used twice, the two contributions add
P3 = 4.0  # c = 4a; each + doubles the gradient of a value used twice
P4 = -1.0  # y + 1: x is used by the product (local gradient y) and by the sum (local 1)
P5 = 0.0  # w·x + b = −5 < 0: the ReLU is off, its local gradient is 0
P6 = -2.0  # 2·(a·b + c) · b = 2 · 1 · (−1)
P7 = 2.0  # u is used twice: u·eˣ + u·eˣ = 1 + 1 at x = 0
P8 = 0.5  # the pre-activation is 0, σ′(0) = 0.25, times x1 = 2


# ── Part C: write backward() yourself ────────────────────────────────────────────────────


def backward(root: Value) -> None:
    """Fill every node's .grad with ∂root/∂node."""
    order: list[Value] = []
    visited: set[Value] = set()
    stack = [(root, False)]
    while stack:  # depth-first with an explicit stack: no recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)  # all its parents are listed already
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node._prev:
            if parent not in visited:
                stack.append((parent, False))
    root.grad = 1.0  # the seed: ∂root/∂root
    for node in reversed(order):  # from the root back to the leaves
        for parent, local in zip(node._prev, local_gradients(node)):
            parent.grad += node.grad * local  # +=: a value used twice gets both


# ── Part D: forward mode ─────────────────────────────────────────────────────────────────


def tangent_div(a: float, b: float, da: float, db: float) -> float:
    """The tangent out of a / b: (1/b)·da + (−a/b²)·db."""
    return da / b - a * db / b**2


D1 = 5.0  # ∇f = (y + 1, x) = (−1, 3); ∇f · (1, 2) = −1 + 6
D2 = 6.0  # u̇ = e⁰ · 3 = 3; ḟ = u·u̇ + u·u̇ = 3 + 3
