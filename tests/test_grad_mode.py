"""no_grad(), enable_grad() and detach(): computing without recording a graph."""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from typing import Callable

import pytest

import scalargrad as sg
from scalargrad import Value, enable_grad, is_grad_enabled, no_grad


class Boom(Exception):
    """Raised inside a context to check that the mode is restored on the way out."""


def test_grad_is_enabled_by_default() -> None:
    """Outside any context, ops record the graph."""
    assert is_grad_enabled()


def test_no_grad_records_no_parents() -> None:
    """An op inside no_grad() gives a leaf: no parents, no op name."""
    x, y = Value(2.0), Value(3.0)
    with no_grad():
        z = (x * y).tanh() + 1.0
    assert (z._prev, z._op) == ((), "")


def test_no_grad_results_are_not_connected_to_inputs() -> None:
    """backward() from a no_grad() result does not reach the Values it was computed from."""
    x = Value(2.0)
    with no_grad():
        z = x * x
    z.backward()
    assert x.grad == 0.0


def test_no_grad_still_computes_values() -> None:
    """Values computed inside no_grad() are the same numbers (checked against math)."""
    with no_grad():
        z = (Value(0.5).exp() * 3.0 - Value(2.0).log()).sigmoid()
    assert math.isclose(z.data, 1.0 / (1.0 + math.exp(-(math.exp(0.5) * 3.0 - math.log(2.0)))))


def test_no_grad_covers_sum_and_dot() -> None:
    """The fused n-ary nodes record nothing inside no_grad() either."""
    a, b = Value(1.0), Value(2.0)
    with no_grad():
        s = sg.sum([a, b])
        d = sg.dot([a], [b], a)
    assert (s._prev, d._prev) == ((), ())


def test_no_grad_covers_custom_ops() -> None:
    """A custom op made with Value.from_op inside no_grad() records nothing either."""
    x = Value(2.0)
    with no_grad():
        y = Value.from_op(4.0, [x], [4.0], "square")
    assert (y.data, y._prev) == (4.0, ())


def test_no_grad_switches_grad_mode_off() -> None:
    """is_grad_enabled() is False inside no_grad()."""
    with no_grad():
        assert not is_grad_enabled()


def test_recording_resumes_after_no_grad() -> None:
    """After the block, ops record parents again."""
    x = Value(2.0)
    with no_grad():
        pass
    z = x * x
    assert z._prev == (x, x)


def test_nested_no_grad_stays_off_until_the_outer_block_ends() -> None:
    """Leaving an inner no_grad() keeps the outer one in force; leaving the outer restores."""
    with no_grad():
        with no_grad():
            pass
        inner_exit = is_grad_enabled()
    assert (inner_exit, is_grad_enabled()) == (False, True)


def test_enable_grad_records_inside_no_grad() -> None:
    """enable_grad() inside no_grad() records the graph again."""
    x = Value(2.0)
    with no_grad(), enable_grad():
        z = x * 3.0
    assert z._prev[0] is x


def test_leaving_enable_grad_returns_to_no_grad() -> None:
    """After an inner enable_grad() ends, the enclosing no_grad() is in force again."""
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            pass
        z = x * 3.0
    assert z._prev == ()


@pytest.mark.parametrize("context", [no_grad, enable_grad], ids=["no_grad", "enable_grad"])
def test_exception_inside_restores_the_mode(
        context: Callable[[], AbstractContextManager[None]]) -> None:
    """An exception raised inside the block still restores the mode that was in force."""
    with no_grad():
        with pytest.raises(Boom), context():
            raise Boom
        inside_no_grad = is_grad_enabled()
    with pytest.raises(Boom), context():
        raise Boom
    assert (inside_no_grad, is_grad_enabled()) == (False, True)


def test_domain_error_inside_no_grad_restores_recording() -> None:
    """An op's own error (log of 0) inside no_grad() leaves recording switched back on."""
    with pytest.raises(ValueError), no_grad():
        Value(0.0).log()
    assert (Value(1.0) + 1.0)._prev != ()


# -- detach -------------------------------------------------------------------------------------

def test_detach_gives_a_leaf_with_the_same_data() -> None:
    """detach() returns a new Value with the same number and no history."""
    x = Value(2.0)
    y = (x * 3.0).detach()
    assert (y.data, y._prev, y is not x) == (6.0, (), True)


def test_gradient_does_not_flow_through_detach() -> None:
    """f = x · detach(x) treats the second factor as a constant: df/dx = x, not 2x."""
    x = Value(2.5)
    (x * x.detach()).backward()
    assert x.grad == 2.5


# -- derivatives asked for inside no_grad() ------------------------------------------------------
# As torch.autograd.grad: create_graph=True records the backward pass even inside no_grad();
# create_graph=False gives floats. x³ at 2: first derivative 3x² = 12, second 6x = 12.


def test_gradients_with_create_graph_inside_no_grad_can_be_differentiated_again() -> None:
    """gradients(x³, [x], create_graph=True) inside no_grad() is a Value with a graph, and its
    own gradient is the second derivative 6x = 12."""
    x = Value(2.0)
    y = x ** 3
    with no_grad():
        (g,) = sg.gradients(y, [x], create_graph=True)
        (second,) = sg.gradients(g, [x])
    assert (g.data, second) == (12.0, 12.0)


def test_recording_goes_off_again_after_a_derivative_inside_no_grad() -> None:
    """Only the backward pass is recorded: an op after it in the same no_grad() block records
    nothing, and its gradient (recorded) has a graph."""
    x = Value(2.0)
    y = x ** 3
    with no_grad():
        (g,) = sg.gradients(y, [x], create_graph=True)
        after = x * x
    assert (bool(g._prev), after._prev) == (True, ())


def test_the_engines_own_gradients_function_records_inside_no_grad() -> None:
    """scalargrad.backward_graph.gradients, the function under sg.gradients, records too."""
    from scalargrad.backward_graph import gradients

    x = Value(2.0)
    y = x ** 3
    with no_grad():
        (g,) = gradients(y, [x], create_graph=True)
    assert g._prev and sg.gradients(g, [x]) == [12.0]


def test_backward_with_create_graph_inside_no_grad_records_the_pass() -> None:
    """x³.backward(create_graph=True) inside no_grad(): x.grad is a Value with a graph."""
    x = Value(2.0)
    y = x ** 3
    with no_grad():
        y.backward(create_graph=True)
    assert x.grad.data == 12.0 and sg.gradients(x.grad, [x]) == [12.0]

