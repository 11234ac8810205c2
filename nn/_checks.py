"""Argument checks shared by nn's modules: each names the argument and what was expected."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any


def finite_real(x: Any, what: str) -> float:
    """x as a finite float, or TypeError/ValueError naming `what`."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return x


def nonneg(x: Any, what: str) -> float:
    """x as a finite float ≥ 0."""
    x = finite_real(x, what)
    if x < 0.0:
        raise ValueError(f"{what} must be >= 0, got {x!r}")
    return x
