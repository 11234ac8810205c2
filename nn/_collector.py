"""How `fit` treats CPython's cyclic garbage collector while it trains.

A step's graph has no reference cycles, so reference counting frees it the moment the next
step's graph replaces it; the cyclic collector has nothing to find in it. Left running, the
collector still walks the growing graph again and again while it is built (every 700 new
nodes, and now and then the whole heap), so a step's time per node grows with the graph
(3-4× from 1e3 to 1e6 nodes). `fit` therefore pauses the automatic collector while it
trains, and after a step that left new objects alive (cycles made by a hand-set
`_backward` or by your own code) it collects the youngest generation itself, so memory
stays flat; it puts the collector back as it found it when it returns or raises. Nothing
changes if the collector was already off, nor on interpreters whose collector works another
way (PyPy's `gc` has no generation counts to look at, and its collector is incremental).
"""

from __future__ import annotations

import functools
import gc
import threading
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_lock = threading.Lock()
_pausing = 0  # fit calls running (any thread) that paused the collector
_was_enabled = False
_CPYTHON_GC = hasattr(gc, "get_count") and hasattr(gc, "get_threshold")


def pausing_collector(fn: F) -> F:
    """Run `fn` with the automatic cyclic collector paused (see the module's docstring)."""

    if not _CPYTHON_GC:
        return fn

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _pausing, _was_enabled
        with _lock:
            if _pausing == 0:
                _was_enabled = gc.isenabled()
                gc.disable()
            _pausing += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with _lock:
                _pausing -= 1
                if _pausing == 0 and _was_enabled:
                    gc.enable()

    return wrapper  # type: ignore[return-value]


def step_done() -> None:
    """After a training step: collect the youngest generation if the step left objects
    behind (more new objects alive than the collector's own first threshold)."""
    if _pausing and _was_enabled and gc.get_count()[0] > gc.get_threshold()[0]:
        gc.collect(0)
