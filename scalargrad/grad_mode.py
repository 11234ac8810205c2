"""Switching graph recording off: `no_grad()` for constants and evaluation."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from . import value as _value


def is_grad_enabled() -> bool:
    """True when ops record their parents (the default), False inside `no_grad()`."""
    return _value._make is not _value._result_without_graph


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, ops compute values only: results are leaves with no history.

    Use it to evaluate a model or update parameters without building a graph. It applies
    to the whole process (not per thread) and may be nested.
    """
    previous = _value._make
    _value._make = _value._result_without_graph
    try:
        yield
    finally:
        _value._make = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph again inside an enclosing `no_grad()` block."""
    previous = _value._make
    _value._make = _value._result
    try:
        yield
    finally:
        _value._make = previous
