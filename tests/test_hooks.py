"""Gradient hooks: register_hook(fn) sees the gradient arriving at a node and may replace it."""

from __future__ import annotations

import pytest

from scalargrad import Value


def test_a_hook_sees_the_whole_gradient_of_a_leaf() -> None:
    """x used twice in x·x + x: the hook gets 2x + 1 once, the sum of both consumers."""
    x = Value(3.0)
    seen = []
    x.register_hook(seen.append)
    (x * x + x).backward()
    assert seen == [7.0]


def test_a_hook_can_replace_a_leaf_gradient() -> None:
    """A hook that returns a number sets what goes into x.grad."""
    x = Value(3.0)
    x.register_hook(lambda g: g * 10)
    (x * 2).backward()
    assert x.grad == 20.0


def test_a_hook_on_an_interior_node_changes_what_flows_on() -> None:
    """Doubling the gradient at h = 2x doubles x.grad: the replacement is passed upstream."""
    x = Value(3.0)
    h = x * 2
    h.register_hook(lambda g: g * 2)
    (h * h).backward()
    assert h.grad == 24.0
    assert x.grad == 48.0


def test_removing_a_hook_stops_it() -> None:
    """handle.remove() takes the hook off; removing twice is harmless."""
    x = Value(3.0)
    handle = x.register_hook(lambda g: 0.0)
    handle.remove()
    handle.remove()
    (x * 2).backward()
    assert x.grad == 2.0


def test_a_hook_sees_value_gradients_under_create_graph() -> None:
    """With create_graph=True the hook is called with a Value."""
    x = Value(3.0)
    seen = []
    handle = x.register_hook(seen.append)
    (x * x).backward(create_graph=True)
    handle.remove()
    assert isinstance(seen[0], Value) and seen[0].data == 6.0


def test_a_hook_must_be_callable() -> None:
    """register_hook(3) is refused with a TypeError naming what was expected."""
    with pytest.raises(TypeError, match="function of the gradient"):
        Value(1.0).register_hook(3)  # type: ignore[arg-type]


def test_without_hooks_backward_takes_its_usual_pass() -> None:
    """Once every hook is removed, the fast path runs again (no hooks counted live)."""
    import scalargrad.graph as graph

    x = Value(1.0)
    before = graph._hooks_live
    x.register_hook(lambda g: None).remove()
    assert graph._hooks_live == before


def test_a_hook_goes_with_its_node() -> None:
    """A hooked Value that is dropped (never removed) no longer counts: backward gets its
    usual pass back, as after remove()."""
    import gc

    import scalargrad.graph as graph

    gc.collect()  # (PyPy frees earlier tests' hooked Values only when it collects)
    gc.collect()
    before = graph._hooks_live
    x = Value(1.0)
    x.register_hook(lambda g: None)
    x.register_hook(lambda g: None)
    assert graph._hooks_live == before + 2
    del x
    gc.collect()
    gc.collect()
    assert graph._hooks_live == before


def test_a_copied_node_shares_its_hooks_and_counts_them_once() -> None:
    """copy.deepcopy of a hooked graph: both copies call the hook; dropping both leaves no
    hook counted."""
    import copy
    import gc

    import scalargrad.graph as graph

    before = graph._hooks_live
    x = Value(2.0)
    seen = []
    x.register_hook(seen.append)
    y = copy.deepcopy(x * x)
    y.backward()
    assert seen == [4.0]
    del x, y
    gc.collect()
    assert graph._hooks_live == before


def test_hooks_run_inside_detect_anomaly() -> None:
    """The checked pass of detect_anomaly() calls hooks as the plain pass does, and a leaf's
    earlier gradient still accumulates: the hook sees this pass's 2x + 1 alone."""
    import scalargrad as sg

    x = Value(3.0)
    x.grad = 100.0
    seen = []
    handle = x.register_hook(lambda g: seen.append(g) or g * 10)
    with sg.detect_anomaly():
        (x * x + x).backward()
    handle.remove()
    assert seen == [7.0]
    assert x.grad == 170.0


def test_anomaly_checks_run_while_a_hook_is_registered() -> None:
    """A hook somewhere does not switch detect_anomaly()'s checks off: an input edited after
    the forward pass is still refused."""
    import scalargrad as sg
    from scalargrad import AnomalyError

    elsewhere = Value(0.0)
    handle = elsewhere.register_hook(lambda g: None)
    try:
        with sg.detect_anomaly():
            w = Value(3.0)
            y = w * w
            w.data = 10.0
            with pytest.raises(AnomalyError, match="was 3.0 .* now 10.0"):
                y.backward()
    finally:
        handle.remove()
