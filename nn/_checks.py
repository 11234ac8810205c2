"""Argument checks shared by nn's modules: each names the argument and what was expected.

numpy and scikit-learn values are accepted without importing numpy: a number is anything
registered as `numbers.Real` (numpy's float and int scalars are), a count is anything with
`__index__` (numpy's integers have it), and an array is anything with `len()` and indexing.
Booleans (Python's and numpy's) are refused wherever a number or a count is meant.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from numbers import Real
from typing import Any


def is_bool(x: Any) -> bool:
    """True for Python's bool and for numpy's bool scalar (which is not an int subclass)."""
    return isinstance(x, bool) or (type(x).__module__ == "numpy" and "bool" in type(x).__name__)


def is_real(x: Any) -> bool:
    """A real number that is not a bool: int, float, Fraction, numpy float or int scalars."""
    return isinstance(x, Real) and not is_bool(x)


def as_count(x: Any) -> int | None:
    """x as a Python int if it is an integer type (int, numpy int, anything with __index__),
    else None. Bools give None: True is not a width."""
    if is_bool(x) or isinstance(x, float):
        return None
    try:
        return operator.index(x)
    except TypeError:
        return None


def count(n: Any, what: str, minimum: int) -> int:
    """`n` as a Python int (an int or a numpy integer; never a bool), at least `minimum`;
    a TypeError or ValueError naming `what` otherwise."""
    value = as_count(n)
    if value is None:
        raise TypeError(f"{what} must be an int, got {n!r}")
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {value}")
    return value


def is_array(x: Any) -> bool:
    """A 1-D or 2-D array-like: a list, a tuple, a numpy array, anything with len and indexing
    (strings, bytes and mappings are not)."""
    if isinstance(x, (list, tuple)):
        return True
    if isinstance(x, (str, bytes, bytearray, Mapping)):
        return False
    if not (hasattr(x, "__len__") and hasattr(x, "__getitem__")):
        return False
    try:
        len(x)  # a 0-d numpy array has __len__ but raises
    except TypeError:
        return False
    return True


def finite_real(x: Any, what: str) -> float:
    """x as a finite float, or TypeError/ValueError naming `what`."""
    if not is_real(x):
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


def parameter_list_mistake(params: Any, who: str) -> None:
    """Raise TypeError for `model.parameters` passed without calling it (a bound method)."""
    owner = getattr(params, "__self__", None)
    if callable(params) and getattr(params, "__name__", "") == "parameters" and owner is not None:
        name = type(owner).__name__
        raise TypeError(f"{who} got the method {name}.parameters itself, not the list of "
                        "parameters: call model.parameters() (with the parentheses)")
