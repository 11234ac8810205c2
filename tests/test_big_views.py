"""The views that narrate or check a backward pass stay bounded on big graphs: check_graph
refuses a quadratic leaf check before doing any of it, explain_paths caps what it lists, and
backward_frames refuses a whole-graph frame set that would grow as nodes².

Every test is timing-free: it counts evaluations or measures sizes."""

from __future__ import annotations

import math

import pytest

import scalargrad as sg
from scalargrad import Value
from scalargrad.see.narrate import check as trace


def tanh_chain(blocks: int) -> tuple[Value, list[Value], Value]:
    """h ← tanh(h·w + b): 3 ops and 2 new leaves per block; (x, all leaves, output)."""
    x = Value(0.3, label="x")
    leaves = [x]
    h = x
    for i in range(blocks):
        w, b = Value(0.9 + 0.001 * (i % 7)), Value(0.01 * (i % 5))
        leaves += [w, b]
        h = (h * w + b).tanh()
    return x, leaves, h


def count_leaf_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = trace._numeric_leaf_gradient

    def counted(*args: object) -> float:
        calls[0] += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(trace, "_numeric_leaf_gradient", counted)
    return calls


def test_check_graph_refuses_a_quadratic_leaf_check_before_starting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """3,001 leaves × 9,001 nodes: refused with a message naming leaves= and subgraphs, and
    not one finite difference is computed."""
    calls = count_leaf_checks(monkeypatch)
    _, _, y = tanh_chain(3_000)
    with pytest.raises(ValueError, match=r"leaves=\[\.\.\.\].*inner node.*max_work"):
        sg.check_graph(y)
    assert calls[0] == 0


def test_check_graph_of_a_few_leaves_or_a_subgraph_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two ways the message names work on the same big graph: leaves=[x] checks one leaf
    (one finite difference, matching the hand chain rule), and an inner node is checked in
    full."""
    calls = count_leaf_checks(monkeypatch)
    x, leaves, y = tanh_chain(3_000)
    one = sg.check_graph(y, leaves=[x])
    assert calls[0] == 1 and one.ok and len(one.leaves) == 1
    inner = sg.topological_order(y)[60]  # a node some blocks up the chain
    part = sg.check_graph(inner)
    assert inner._prev and part.ok
    assert len(part.leaves) == sum(1 for v in sg.topological_order(inner) if not v._prev) > 10


def test_explain_paths_caps_the_listing_on_a_deep_chain() -> None:
    """On a 30,000-node chain the only path has 30,000 edges: the view lists at most
    max_edges edges, stays small as text, and still gives the full gradient."""
    x, _, y = tanh_chain(10_000)
    view = sg.explain_paths(y, x)
    assert sum(len(p.locals) for p in view.paths) <= 10_000
    assert view.count == 1 and view.truncated
    text = str(view)
    assert len(text) < 10_000 and "max_edges" in text
    x.grad = 0.0
    y.backward()
    assert view.gradient == x.grad != 0.0


def test_explain_paths_caps_exponentially_many_paths() -> None:
    """x doubled 60 times has 2**60 paths: 100 are listed, the count is exact; doubled 200
    times, the paths are long enough that max_edges stops the listing first."""
    x = Value(1.0, label="x")
    y = x
    for _ in range(60):
        y = y + y
    view = sg.explain_paths(y, x)
    assert view.count == 2 ** 60 and len(view.paths) == 100 and view.truncated
    assert view.gradient == math.ldexp(1.0, 60)
    for _ in range(140):
        y = y + y
    view = sg.explain_paths(y, x)
    assert view.count == 2 ** 200 and view.truncated
    assert sum(len(p.locals) for p in view.paths) <= 10_000 < 200 * (len(view.paths) + 1)


def test_backward_frames_refuses_a_whole_big_graph_and_works_with_only() -> None:
    """Frames for every node of a 5,001-node graph would hold ~25 million numbers: refused,
    naming only=; with only= (20 nodes) every frame holds at most 21 gradients."""
    _, _, y = tanh_chain(1_000)
    with pytest.raises(ValueError, match=r"only="):
        sg.backward_frames(y)
    n = len(sg.topological_order(y))
    frames = sg.backward_frames(y, only=range(n - 20, n))
    assert 3 + 8 <= len(frames) <= 3 + 20
    assert max(len(f.grads) for f in frames) <= 21
