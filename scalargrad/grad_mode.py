"""Switching graph recording off: `no_grad()` for constants and evaluation.

The mode is per thread, as in PyTorch: `no_grad()` and `enable_grad()` change only the thread
that enters them, and a new thread starts with recording on (and anomaly detection off), so
threads that train and threads that evaluate never see each other's blocks. asyncio tasks on
one event loop share their thread and so its mode: a `no_grad()` block that spans an `await`
also applies to the other tasks that run meanwhile (keep such blocks free of awaits, or run the
evaluation in a thread).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from . import node
from .modes import _modes, update_special

__all__ = ["enable_grad", "is_grad_enabled", "no_grad"]


def is_grad_enabled() -> bool:
    """True when ops record their parents (the default), False inside `no_grad()`."""
    return _modes.grad


@contextmanager
def _mode(*, grad: bool | None = None, anomaly: int = 0) -> Iterator[None]:
    """Set this thread's modes for the block (grad on/off, anomaly depth + `anomaly`)."""
    saved = (_modes.grad, _modes.anomaly)
    with node._mode_lock:  # a count of open blocks lets ops skip the lookup when it is 0
        node._open_mode_blocks += 1
    try:
        if grad is not None:
            _modes.grad = grad
        _modes.anomaly += anomaly
        update_special()
        yield
    finally:
        _modes.grad, _modes.anomaly = saved
        update_special()
        with node._mode_lock:
            node._open_mode_blocks -= 1


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, ops compute values only: results are leaves with no history.

    Use it to evaluate a model or update parameters without building a graph. It applies
    to the calling thread only and may be nested.
    """
    with _mode(grad=False):
        yield


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph again inside an enclosing `no_grad()` block (this thread only)."""
    with _mode(grad=True):
        yield
