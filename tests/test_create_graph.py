"""backward(create_graph=True): gradients are Values whose graph is the backward pass."""

from __future__ import annotations

import math

import pytest

import scalargrad as sg
from scalargrad import Value


def test_create_graph_makes_each_grad_a_value() -> None:
    """After backward(create_graph=True) x.grad is a Value holding the first derivative."""
    x = Value(0.5)
    x.tanh().backward(create_graph=True)
    assert isinstance(x.grad, Value)
    assert x.grad.data == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-15)


def test_the_default_backward_keeps_float_grads() -> None:
    """Without create_graph every grad stays a plain float."""
    x = Value(0.5)
    x.tanh().backward()
    assert type(x.grad) is float


def test_a_grad_can_be_differentiated_again() -> None:
    """d/dx (1 − tanh² x) = −2 tanh x (1 − tanh² x), by backward on x.grad."""
    x = Value(0.5)
    x.tanh().backward(create_graph=True)
    g = x.grad
    x.grad = 0.0
    g.backward()
    t = math.tanh(0.5)
    assert x.grad == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)


def test_the_grad_graph_is_made_of_ordinary_ops() -> None:
    """The graph of d tanh(x)/dx holds only built-in ops (the tanh node, *, −)."""
    x = Value(0.5, label="x")
    x.tanh().backward(create_graph=True)
    ops = {n._op for n in sg.topological_order(x.grad)}
    assert ops <= {"", "tanh", "*", "-", "neg"}
    assert "tanh" in ops and "*" in ops


def test_the_grad_graph_can_be_drawn_and_narrated() -> None:
    """to_dot and explain accept the gradient's graph like any other."""
    x = Value(0.5, label="x")
    x.tanh().backward(create_graph=True)
    assert "digraph" in sg.to_dot(x.grad)
    trace = sg.explain(x.grad, run_backward=False)
    t = math.tanh(0.5)
    assert trace.gradient(x).total == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)


def test_a_value_seed_is_accepted() -> None:
    """backward(Value(3.0), create_graph=True) scales every gradient by 3."""
    x = Value(2.0)
    (x * x).backward(Value(3.0), create_graph=True)
    assert x.grad.data == 12.0


def test_create_graph_must_be_a_bool() -> None:
    """create_graph='yes' is refused with a message naming it."""
    with pytest.raises(TypeError, match="create_graph"):
        Value(1.0).exp().backward(create_graph="yes")  # type: ignore[arg-type]


def test_a_closure_in_value_arithmetic_differentiates_again() -> None:
    """A from_op closure that captures its parent gives the right second derivative."""
    x = Value(1.5)
    cube = Value.from_op(x.data ** 3, (x,), op="cube",
                         backward=lambda upstream: (upstream * 3 * x ** 2,))
    assert sg.grad(sg.grad(lambda v: Value.from_op(
        v.data ** 3, (v,), op="cube", backward=lambda u: (u * 3 * v ** 2,))))(1.5) == (
        pytest.approx(9.0))
    cube.backward()
    assert x.grad == pytest.approx(3 * 1.5 ** 2)


def test_a_closure_of_plain_numbers_says_it_cannot() -> None:
    """A closure that returns numbers for a Value upstream is refused, naming the op."""
    x = Value(1.5)
    node = Value.from_op(2.0, (x,), op="mine", backward=lambda u: (2.0,))
    with pytest.raises(sg.NotDifferentiableError, match="'mine'"):
        node.backward(create_graph=True)


def test_local_grads_as_numbers_say_they_cannot() -> None:
    """from_op(local_grads=...) cannot be differentiated again: the error names the op."""
    x = Value(1.5)
    node = Value.from_op(2.0, (x,), [3.0], op="fixed")
    with pytest.raises(sg.NotDifferentiableError, match="'fixed'.*backward="):
        node.backward(create_graph=True)


def test_a_micrograd_style_backward_says_it_cannot() -> None:
    """A hand-set _backward (micrograd's form) is refused with the fix spelled out."""
    x = Value(1.5)
    out = Value(x.data * 2, (x,), "double")

    def _backward() -> None:
        x.grad += 2 * out.grad

    out._backward = _backward
    with pytest.raises(sg.NotDifferentiableError, match="'double'.*from_op"):
        out.backward(create_graph=True)


def test_backward_graph_serves_local_grads() -> None:
    """from_op(local_grads, backward_graph=...) differentiates again through the given form."""
    f = sg.grad(sg.grad(lambda v: Value.from_op(
        v.data ** 2, (v,), [2 * v.data], op="square", backward_graph=lambda u: (u * 2 * v,))))
    assert f(3.0) == 2.0


@pytest.mark.parametrize("make", [
    lambda p: sg.sum([p * p, p]),
    lambda p: sg.dot([p, p], [p, 2.0], p),
    lambda p: __import__("nn").mse_loss([p], [0.5]),
    lambda p: __import__("nn").l2_regularization([p], 0.5),
], ids=["sum", "dot", "mse_loss", "l2_regularization"])
def test_fused_nodes_differentiate_again(make) -> None:  # type: ignore[no-untyped-def]
    """sum, dot and nn's fused losses give second derivatives (by finite differences)."""
    second = sg.grad(sg.grad(make))(0.7)
    first = sg.grad(make)
    h = 1e-6
    assert second == pytest.approx((first(0.7 + h) - first(0.7 - h)) / (2 * h), rel=1e-6)
