"""The one table of ops that drives the value and gradient tests.

Each row names an op and gives it three ways: on scalargrad Values (the code under test), on
plain floats with `math` (the forward oracle), and on float64 torch tensors (the gradient
oracle). `domain` holds one hypothesis strategy per input, on which the op is smooth, and
`at` is one fixed point in that domain for the deterministic checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from hypothesis import strategies as st
from strategies import nonzero, positive, reals

import scalargrad as sg
from scalargrad import Value


def _torch() -> Any:
    import torch  # only reached from tests that have already skipped when torch is missing

    return torch


def _leaky(x: float, slope: float) -> float:
    return x if x > 0.0 else slope * x


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class Op:
    """One op: its engine function, float reference, torch function and input domain."""

    name: str
    engine: Callable[..., Value]
    reference: Callable[..., float]
    torch: Callable[..., Any]
    domain: tuple[st.SearchStrategy[float], ...]
    at: tuple[float, ...]

    @property
    def arity(self) -> int:
        return len(self.domain)

    def inputs(self) -> st.SearchStrategy[tuple[float, ...]]:
        """Random inputs for this op, one float per argument."""
        return st.tuples(*self.domain)

    def __str__(self) -> str:  # the pytest id
        return self.name


R = reals()
NZ = nonzero()
POS = positive()

OPS: tuple[Op, ...] = (
    # binary arithmetic, and the reflected forms with a plain number on the left
    Op("a+b", lambda a, b: a + b, lambda a, b: a + b, lambda a, b: a + b, (R, R), (1.5, -2.0)),
    Op("a+2", lambda a: a + 2, lambda a: a + 2, lambda a: a + 2, (R,), (1.5,)),
    Op("2+a", lambda a: 2 + a, lambda a: 2 + a, lambda a: 2 + a, (R,), (1.5,)),
    Op("a-b", lambda a, b: a - b, lambda a, b: a - b, lambda a, b: a - b, (R, R), (1.5, -2.0)),
    Op("a-2", lambda a: a - 2, lambda a: a - 2, lambda a: a - 2, (R,), (1.5,)),
    Op("2-a", lambda a: 2 - a, lambda a: 2 - a, lambda a: 2 - a, (R,), (1.5,)),
    Op("a*b", lambda a, b: a * b, lambda a, b: a * b, lambda a, b: a * b, (R, R), (1.5, -2.0)),
    Op("a*2", lambda a: a * 2, lambda a: a * 2, lambda a: a * 2, (R,), (1.5,)),
    Op("2*a", lambda a: 2 * a, lambda a: 2 * a, lambda a: 2 * a, (R,), (1.5,)),
    Op("a/b", lambda a, b: a / b, lambda a, b: a / b, lambda a, b: a / b, (R, NZ), (1.5, -2.0)),
    Op("a/2", lambda a: a / 2, lambda a: a / 2, lambda a: a / 2, (R,), (1.5,)),
    Op("2/a", lambda a: 2 / a, lambda a: 2 / a, lambda a: 2 / a, (NZ,), (1.5,)),
    Op("-a", lambda a: -a, lambda a: -a, lambda a: -a, (R,), (1.5,)),
    # powers: a number exponent, a Value exponent, and a number base
    Op("a**2", lambda a: a ** 2, lambda a: a ** 2, lambda a: a ** 2, (R,), (1.5,)),
    Op("a**3", lambda a: a ** 3, lambda a: a ** 3, lambda a: a ** 3, (R,), (-1.5,)),
    Op("a**-2", lambda a: a ** -2, lambda a: a ** -2, lambda a: a ** -2, (NZ,), (-1.5,)),
    Op("a**0.5", lambda a: a ** 0.5, lambda a: a ** 0.5, lambda a: a ** 0.5, (POS,), (2.0,)),
    Op("a**0", lambda a: a ** 0, lambda a: a ** 0, lambda a: a ** 0, (R,), (1.5,)),
    Op("a**b", lambda a, b: a ** b, lambda a, b: a ** b, lambda a, b: a ** b,
       (POS, reals(-3.0, 3.0)), (1.5, -2.5)),
    Op("2**a", lambda a: 2 ** a, lambda a: 2 ** a, lambda a: 2 ** a, (R,), (1.5,)),
    # unary functions
    Op("reciprocal", lambda a: a.reciprocal(), lambda a: 1.0 / a, lambda a: a.reciprocal(),
       (NZ,), (-0.5,)),
    Op("exp", lambda a: a.exp(), math.exp, lambda a: a.exp(), (R,), (1.5,)),
    Op("log", lambda a: a.log(), math.log, lambda a: a.log(), (POS,), (1.5,)),
    Op("sqrt", lambda a: a.sqrt(), math.sqrt, lambda a: a.sqrt(), (POS,), (1.5,)),
    Op("tanh", lambda a: a.tanh(), math.tanh, lambda a: a.tanh(), (R,), (0.5,)),
    Op("sigmoid", lambda a: a.sigmoid(), _sigmoid, lambda a: a.sigmoid(),
       (reals(-10.0, 10.0),), (-0.5,)),
    Op("relu", lambda a: a.relu(), lambda a: max(0.0, a), lambda a: a.relu(), (NZ,), (1.5,)),
    Op("leaky_relu", lambda a: a.leaky_relu(), lambda a: _leaky(a, 0.01),
       lambda a: _torch().nn.functional.leaky_relu(a, 0.01), (NZ,), (-1.5,)),
    Op("leaky_relu(0.2)", lambda a: a.leaky_relu(0.2), lambda a: _leaky(a, 0.2),
       lambda a: _torch().nn.functional.leaky_relu(a, 0.2), (NZ,), (-1.5,)),
    Op("abs(a)", lambda a: abs(a), lambda a: abs(a), lambda a: abs(a), (NZ,), (-1.5,)),
    Op("a.abs()", lambda a: a.abs(), lambda a: abs(a), lambda a: a.abs(), (NZ,), (-1.5,)),
    Op("sin", lambda a: a.sin(), math.sin, lambda a: a.sin(), (R,), (1.5,)),
    Op("cos", lambda a: a.cos(), math.cos, lambda a: a.cos(), (R,), (1.5,)),
    # fused n-ary nodes
    Op("sum", lambda a, b, c: sg.sum([a, b, c]), lambda a, b, c: a + b + c,
       lambda a, b, c: _torch().stack([a, b, c]).sum(), (R, R, R), (1.5, -2.0, 0.25)),
    Op("sum(start=2)", lambda a, b: sg.sum([a, b], start=2.0), lambda a, b: 2.0 + a + b,
       lambda a, b: _torch().stack([a, b]).sum() + 2.0, (R, R), (1.5, -2.0)),
    Op("sum(start=c)", lambda a, b, c: sg.sum([a, b], start=c), lambda a, b, c: c + a + b,
       lambda a, b, c: _torch().stack([a, b]).sum() + c, (R, R, R), (1.5, -2.0, 0.25)),
    Op("dot",
       lambda w1, w2, x1, x2, b: sg.dot([w1, w2], [x1, x2], b),
       lambda w1, w2, x1, x2, b: w1 * x1 + w2 * x2 + b,
       lambda w1, w2, x1, x2, b: _torch().dot(_torch().stack([w1, w2]),
                                              _torch().stack([x1, x2])) + b,
       (R, R, R, R, R), (1.5, -2.0, 0.25, 3.0, -1.0)),
    Op("dot(no bias)",
       lambda w1, w2, x1, x2: sg.dot([w1, w2], [x1, x2]),
       lambda w1, w2, x1, x2: w1 * x1 + w2 * x2,
       lambda w1, w2, x1, x2: _torch().dot(_torch().stack([w1, w2]), _torch().stack([x1, x2])),
       (R, R, R, R), (1.5, -2.0, 0.25, 3.0)),
    Op("dot(constants)",
       lambda w, x: sg.dot([2.0, w], [x, -3.0], 0.5),
       lambda w, x: 2.0 * x + w * -3.0 + 0.5,
       lambda w, x: 2.0 * x + w * -3.0 + 0.5,
       (R, R), (1.5, -2.0)),
)

OPS_BY_NAME = {op.name: op for op in OPS}
assert len(OPS_BY_NAME) == len(OPS), "op names must be unique"
