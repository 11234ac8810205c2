"""Checking the engine's gradients against finite differences.

The engine's gradient of f at x comes from `backward()`; the numerical one needs only the
forward pass:  f′(x) ≈ (f(x + ε) − f(x − ε)) / 2ε  (central difference, error O(ε²)), or the
lesson's forward difference  (f(x + ε) − f(x)) / ε  (error O(ε)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal, Sequence

from . import rich
from .grad_mode import no_grad
from .node import Operand, _as_float
from .value import Value

Function = Callable[..., Operand]


@dataclass(frozen=True)
class InputCheck:
    """The two gradients of one input, and whether they agree within the tolerance."""

    index: int
    at: float
    analytic: float
    numeric: float
    ok: bool

    @property
    def error(self) -> float:
        return abs(self.analytic - self.numeric)

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        return (f"input {self.index} at {self.at!r}: engine {self.analytic!r}, "
                f"finite difference {self.numeric!r}, |difference| {self.error:.3g} [{verdict}]")


@dataclass(frozen=True)
class GradcheckResult:
    """What `gradcheck` found: one `InputCheck` per input; true when all of them agree."""

    checks: tuple[InputCheck, ...]
    eps: float
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def message(self) -> str:
        """One line per input; mismatches say both numbers and the tolerance."""
        head = (f"gradcheck {'passed' if self.ok else 'FAILED'} "
                f"(eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}; "
                "ok when |engine - numeric| <= atol + rtol*|numeric|)")
        return "\n".join([head, *(f"  {c}" for c in self.checks)])

    def __str__(self) -> str:
        return self.message

    def _repr_html_(self) -> str | None:  # Jupyter: the verdict and one row per input
        return rich.show(self, "html")

    def _repr_markdown_(self) -> str | None:
        return rich.show(self, "markdown")


class GradcheckError(AssertionError):
    """Raised by `gradcheck(..., raise_on_failure=True)` when a gradient does not match."""


def _forward(f: Function, xs: Sequence[float]) -> float:
    with no_grad():
        out = f(*[Value(x) for x in xs])
    return out.data if isinstance(out, Value) else _as_float(out, "gradcheck: f's result")


def numerical_gradient(f: Function, *inputs: Operand, eps: float = 1e-6,
                       method: Literal["central", "forward"] = "central") -> list[float]:
    """∂f/∂xᵢ for each input by finite differences (central by default, or the lesson's forward)."""
    if method not in ("central", "forward"):
        raise ValueError("numerical_gradient: method must be 'central' or 'forward', "
                         f"got {method!r}")
    xs = [x.data if isinstance(x, Value) else _as_float(x, "gradcheck input") for x in inputs]
    base = _forward(f, xs) if method == "forward" else 0.0
    slopes = []
    for i, x in enumerate(xs):
        up = _forward(f, [*xs[:i], x + eps, *xs[i + 1:]])
        if method == "forward":
            slopes.append((up - base) / eps)
        else:
            down = _forward(f, [*xs[:i], x - eps, *xs[i + 1:]])
            slopes.append((up - down) / (2 * eps))
    return slopes


def forward_difference(f: Function, x: Operand, eps: float = 0.01) -> float:
    """The lesson's check: f′(x) ≈ (f(x + ε) − f(x)) / ε, with ε = 0.01 by default."""
    return numerical_gradient(f, x, eps=eps, method="forward")[0]


def engine_gradient(f: Function, *inputs: Operand) -> list[float]:
    """∂f/∂xᵢ for each input from one `backward()` through f's graph."""
    leaves = [Value(x.data if isinstance(x, Value) else x) for x in inputs]
    out = f(*leaves)
    if not isinstance(out, Value):
        return [0.0] * len(leaves)  # f did not use its inputs: a constant
    out.backward()
    return [leaf.grad for leaf in leaves]


def gradcheck(f: Function, *inputs: Operand, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_on_failure: bool = False) -> GradcheckResult:
    """Compare the engine's gradient of `f` at `inputs` with central finite differences.

    `f` takes one Value per input and returns a Value. The result is true when, for every
    input, |engine − numeric| ≤ atol + rtol·|numeric| (PyTorch's default tolerances); its
    `message` names each input with both numbers. With `raise_on_failure=True` a mismatch
    raises GradcheckError carrying that message.
    """
    if not inputs:
        raise TypeError("gradcheck: expected at least one input after the function")
    if not callable(f):
        raise TypeError(f"gradcheck: expected a function first, got {type(f).__name__}")
    analytic = engine_gradient(f, *inputs)
    numeric = numerical_gradient(f, *inputs, eps=eps)
    checks = tuple(
        InputCheck(i, x.data if isinstance(x, Value) else float(x), a, n,
                   math.isclose(a, n, rel_tol=0.0, abs_tol=atol + rtol * abs(n))
                   or (a == n))
        for i, (x, a, n) in enumerate(zip(inputs, analytic, numeric)))
    result = GradcheckResult(checks, eps, atol, rtol)
    if raise_on_failure and not result.ok:
        raise GradcheckError(result.message)
    return result
