"""Huge graphs: every graph walk works on a chain far deeper than Python's recursion limit,
and dropping the output gives the memory back.

The engine's own walks (backward, topological_order, zero_grad, repr, copy.deepcopy) run on
one chain of SCALARGRAD_HUGE_NODES nodes (default 1,000,000, built once for the module). The
pickle round trip, the drawing and narrating walks (to_dot/draw_dot, text_tree, explain,
explain_paths, check_graph, backward_frames), anomaly mode, and nn (parameter listing, file
round trip, forward/backward through a deep MLP) run at SCALARGRAD_HUGE_VIEW_NODES (default
20,000: twenty times the default recursion limit, so any recursive walk fails; they are
slower per node, and CI time is shared). The long run, everything at a million nodes:

    SCALARGRAD_HUGE_VIEW_NODES=1000000 .venv/bin/python -m pytest tests/test_huge_graphs.py

Gradients are checked against the chain rule done by hand in a plain-float loop.
"""

from __future__ import annotations

import copy
import gc
import math
import os
import pickle
import sys
import tracemalloc
from typing import Iterator

import pytest

import scalargrad as sg
from scalargrad import Value

N = int(os.environ.get("SCALARGRAD_HUGE_NODES", "1000000"))
VIEW_N = int(os.environ.get("SCALARGRAD_HUGE_VIEW_NODES", "20000"))


def chain(n: int, start: float = 0.5) -> tuple[Value, Value]:
    """(leaf, output) of an n-node chain alternating tanh and negation: x → tanh → neg → …"""
    x = Value(start, label="x")
    y = x
    for i in range(n - 1):
        y = y.tanh() if i % 2 == 0 else -y
    return x, y


def chain_gradient(n: int, start: float = 0.5) -> tuple[float, float]:
    """(output value, d output / d x) of `chain(n)`, by the chain rule on plain floats."""
    value, slope = start, 1.0
    for i in range(n - 1):
        if i % 2 == 0:
            value = math.tanh(value)
            slope *= 1.0 - value * value
        else:
            value, slope = -value, -slope
    return value, slope


@pytest.fixture(scope="module")
def huge() -> Iterator[tuple[Value, Value, float, float]]:
    """One N-node chain for the whole module, with its oracle value and gradient."""
    x, y = chain(N)
    value, slope = chain_gradient(N)
    yield x, y, value, slope


@pytest.fixture(autouse=True)
def default_recursion_limit() -> Iterator[None]:
    """Python's default limit (1000) during each test, whatever another test set: the walks
    must not need more, and a raised limit would hide a recursive walk."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def test_recursion_limit_is_the_default() -> None:
    """The fixture is in force: a chain N deep is far beyond the limit."""
    assert sys.getrecursionlimit() == 1000 < min(N, VIEW_N) // 10


def test_backward_on_huge_chain(huge: tuple) -> None:
    """backward() through N nodes gives the hand chain rule's gradient (rel 1e-9)."""
    x, y, value, slope = huge
    y.zero_grad()
    y.backward()
    assert y.data == pytest.approx(value, rel=1e-12)
    assert x.grad == pytest.approx(slope, rel=1e-9)
    assert x.grad != 0.0


def test_topological_order_on_huge_chain(huge: tuple) -> None:
    """N nodes, leaf first, output last, each node right after its only parent."""
    x, y, _, _ = huge
    order = sg.topological_order(y)
    assert len(order) == N and order[0] is x and order[-1] is y
    assert all(order[i]._prev[0] is order[i - 1] for i in range(1, N, 9973))


def test_zero_grad_on_huge_chain(huge: tuple) -> None:
    """zero_grad() reaches the leaf N nodes down."""
    x, y, _, _ = huge
    y.backward()
    assert x.grad != 0.0
    y.zero_grad()
    assert x.grad == 0.0 and y.grad == 0.0


def test_repr_of_huge_chain_does_not_walk(huge: tuple) -> None:
    """repr shows the node only: a line, however deep the graph."""
    _, y, value, _ = huge
    assert repr(y) == f"Value(data={y.data!r}, grad={y.grad!r})"


def test_deepcopy_of_huge_chain(huge: tuple) -> None:
    """copy.deepcopy copies all N nodes (iteratively); the copy backpropagates on its own."""
    x, y, _, slope = huge
    y.zero_grad()
    twin = copy.deepcopy(y)
    order = sg.topological_order(twin)
    assert len(order) == N and order[0] is not x and order[0].label == "x"
    twin.backward()
    assert order[0].grad == pytest.approx(slope, rel=1e-9)
    assert x.grad == 0.0  # the original is untouched
    del twin, order


def test_pickle_of_deep_chain() -> None:
    """pickle round-trips a VIEW_N-node chain at the default recursion limit (pickle itself
    recurses per level: Value.__reduce__ lists the nodes parents first); the copy
    backpropagates to the hand chain rule's gradient."""
    _, y = chain(VIEW_N)
    value, slope = chain_gradient(VIEW_N)
    twin = pickle.loads(pickle.dumps(y, protocol=pickle.HIGHEST_PROTOCOL))
    order = sg.topological_order(twin)
    assert len(order) == VIEW_N and order[0].label == "x" and twin.data == value
    twin.backward()
    assert order[0].grad == pytest.approx(slope, rel=1e-9) and order[0].grad != 0.0



def test_dropping_huge_chain_returns_memory_with_gc_disabled() -> None:
    """Building and dropping a deep chain (also under anomaly mode) leaves no memory behind.

    The garbage collector is off, so only reference counting can free the nodes: the graph
    must have no reference cycles and nothing global may keep nodes alive.
    """
    n = min(N, 100_000)
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        x, y = chain(n)
        y.backward()
        peak = tracemalloc.get_traced_memory()[0]
        del x, y
        after_plain = tracemalloc.get_traced_memory()[0]
        with sg.detect_anomaly():
            x, y = chain(n // 20)
            y.backward()
        del x, y
        after_anomaly = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        gc.enable()
    assert peak - baseline > n * 50  # the graph was really there (> 50 bytes per node)
    # What may remain is CPython's free lists (up to 2,000 spare tuples of each small size,
    # ~100 KB), not the graph (tens of MB): 256 KB is under 1% of it.
    assert after_plain - baseline < 256 * 1024
    assert after_anomaly - baseline < 256 * 1024


# -- the drawing and narrating walks, and nn ------------------------------------------------


@pytest.fixture(scope="module")
def deep() -> tuple[Value, Value, float, float]:
    x, y = chain(VIEW_N)
    value, slope = chain_gradient(VIEW_N)
    return x, y, value, slope


def test_anomaly_mode_on_deep_chain(deep: tuple) -> None:
    """detect_anomaly()'s checking backward (and its stale-input check) is iterative too."""
    x, y, _, slope = deep
    y.zero_grad()
    with sg.detect_anomaly():
        y.backward()
        x2, y2 = chain(VIEW_N)  # built in the mode: every node records where it was made
        y2.backward()
    assert x.grad == pytest.approx(slope, rel=1e-9)
    assert x2.grad == pytest.approx(slope, rel=1e-9)


def test_to_dot_and_text_tree_on_deep_chain(deep: tuple) -> None:
    """DOT text and the text tree come out (limited to their node caps) for a deep graph."""
    _, y, _, _ = deep
    dot = sg.to_dot(y)
    assert dot.startswith("digraph") and "tanh" in dot
    assert sg.text_tree(y).count("\n") > 10
    unlimited = sg.to_dot(y, max_nodes=None)
    assert unlimited.count("tanh") >= VIEW_N // 2


def test_draw_dot_on_deep_chain(deep: tuple) -> None:
    """draw_dot builds its graphviz.Digraph (not rendered) for a deep graph."""
    pytest.importorskip("graphviz", reason="draw_dot needs the graphviz package (the graph extra)")
    _, y, _, _ = deep
    assert "digraph" in sg.draw_dot(y).source


def test_explain_on_deep_chain(deep: tuple) -> None:
    """The narrated trace covers every op node and ends at the hand chain rule's gradient."""
    x, y, _, slope = deep
    y.zero_grad()
    trace = sg.explain(y)
    assert x.grad == pytest.approx(slope, rel=1e-9)
    assert len(str(trace)) > VIEW_N


def test_explain_paths_and_check_graph_on_deep_chain(deep: tuple) -> None:
    """One path from x through every node; the whole-graph gradcheck passes."""
    x, y, _, slope = deep
    paths = sg.explain_paths(y, x)
    assert "x" in str(paths)
    assert sg.check_graph(y)


def test_backward_frames_on_deep_chain(deep: tuple) -> None:
    """The step-by-step frames of a deep backward pass, limited to the drawn nodes.

    Each frame holds a snapshot of the whole graph's gradients, so frames for *every* node
    of an n-node graph take memory ∝ n² (2,000 nodes: 260 MB): `only=` is the way to use it
    on a big graph, and the walk itself must still cover every node.
    """
    x, y, _, slope = deep
    frames = sg.backward_frames(y, only=range(VIEW_N - 20, VIEW_N))
    assert 20 <= len(frames) <= 40


def test_nn_deep_mlp_forward_backward_listing_and_file(tmp_path: object) -> None:
    """An MLP with VIEW_N/10 width-1 layers: parameters, zero_grad, backward, save and load."""
    nn = pytest.importorskip("nn")
    depth = max(VIEW_N // 10, 2000)
    model = nn.MLP(1, [1] * depth, activation="tanh", seed=0)
    assert len(model.parameters()) == len(model.named_parameters()) == 2 * depth
    out = model([0.3])
    out.backward()
    assert sum(1 for p in model.parameters() if p.grad != 0.0) > 0
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    path = os.path.join(str(tmp_path), "deep.json")
    nn.save(model, path)
    again = nn.load(path)
    assert [p.data for p in again.parameters()] == [p.data for p in model.parameters()]


def test_nn_deeply_nested_modules_list_their_parameters() -> None:
    """Modules nested 3,000 deep (each holding the next) list every parameter, in order.

    Not VIEW_N deep: the dotted names ("inner.inner.….w") alone take memory ∝ depth².
    """
    nn = pytest.importorskip("nn")
    depth = min(VIEW_N, 3000)

    class Box(nn.Module):
        def __init__(self, inner: object, k: int) -> None:
            self.w = Value(float(k))
            self.inner = inner

    box: object = None
    for k in range(depth):
        box = Box(box, k)
    names = box.named_parameters()
    assert len(names) == depth
    assert names[0][1].data == depth - 1 and names[-1][1].data == 0.0
    assert names[1][0] == "inner.w"
    box.zero_grad()
