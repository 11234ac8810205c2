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
