"""Peak memory of one call, measured with tracemalloc (the forward-mode memory tests).

PyPy has no tracemalloc: there `peak_bytes` skips the calling test, saying so.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest


def peak_bytes(fn: Callable[[], Any]) -> int:
    """fn's peak memory (tracemalloc). Call the largest workload once before measuring: the
    interpreter's free lists (up to 2000 tuples of each size) fill during the first runs and
    are then reused, which would otherwise count as memory of whichever run came first."""
    tracemalloc = pytest.importorskip("tracemalloc", reason="PyPy has no tracemalloc")
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
