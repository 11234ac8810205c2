"""A graph is freed by reference counting the moment its output is dropped: no node takes part
in a reference cycle, so the cyclic garbage collector is never needed."""

from __future__ import annotations

import gc
import tracemalloc
from contextlib import contextmanager
from typing import Iterator

import scalargrad as sg
from scalargrad import Value

# The interpreter keeps up to 2,000 freed tuples of each small size (and some floats) on free
# lists for reuse; those stay allocated after the graph is gone, about 0.2 MB whatever the
# graph's size. A graph that leaked would leave its whole size (tens of MB) behind.
SLACK = 1_000_000


def build_and_backward(n: int = 8_000) -> Value:
    """A graph of about 8n nodes using every kind of op, with a backward pass run through it."""
    x, w = Value(0.5, label="x"), Value(-0.25, label="w")
    terms = []
    for i in range(n):
        h = (x * w + i * 1e-5).tanh()
        terms.append(h.sigmoid() * h - (h ** 2).exp().log())
    out = sg.sum(terms) + sg.dot([w, x], [x, 2.0], w)
    out.backward()
    return out


@contextmanager
def gc_disabled() -> Iterator[None]:
    """The cyclic collector off inside the block, with existing garbage collected first."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_dropping_a_graph_returns_memory_to_baseline() -> None:
    """With gc disabled, a graph of tens of megabytes is all returned when it is dropped."""
    build_and_backward(1_000)  # warm up: fill the interpreter's free lists before measuring
    tracemalloc.start()
    with gc_disabled():
        baseline = tracemalloc.get_traced_memory()[0]
        out = build_and_backward()
        held = tracemalloc.get_traced_memory()[0] - baseline
        del out
        left = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()
    assert held > 5 * SLACK, f"the graph should be large enough to measure; held {held} bytes"
    assert left < SLACK, f"{left} of {held} bytes still held after dropping the graph"


def test_dropping_a_graph_leaves_no_cyclic_garbage() -> None:
    """After the graph is dropped, the cyclic collector finds nothing of it to collect."""
    with gc_disabled():
        out = build_and_backward(2_000)
        del out
        unreachable = gc.collect()
    assert unreachable == 0
