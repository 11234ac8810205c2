"""What a gradient hook may return: None, a real number or a Value, and what each becomes in a
plain backward (floats) and in one built as a graph (Values); anything else is refused.

Each hook is registered in a `with` block, so it is removed when the test ends, error or
not (a hook left on a node kept alive by a traceback would count as live for other tests)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

import nn
import scalargrad as sg
from scalargrad import Value


def shout(grad: Any) -> str:
    """A hook with a mistake: it returns a string."""
    return "grad"


@pytest.mark.parametrize("bad", ["2.0", [1.0], (1.0,), {"g": 1.0}, True, 1j],
                         ids=["str", "list", "tuple", "dict", "bool", "complex"])
def test_a_hook_returning_something_else_is_refused_on_a_leaf(bad: Any) -> None:
    """A leaf's hook returning a str, list, bool… is a TypeError, not the leaf's grad."""
    x = Value(3.0, label="x")
    with x.register_hook(lambda g: bad), pytest.raises(TypeError, match="must return None"):
        (x * 2).backward()


def test_the_refusal_names_the_hook_the_node_and_what_was_returned() -> None:
    """The message names the hook's qualified name, the node's label, the type returned and
    what a hook may return."""
    x = Value(3.0, label="weight")
    with x.register_hook(shout), pytest.raises(TypeError) as caught:
        (x * 2).backward()
    message = str(caught.value)
    for part in ("'shout'", "'weight'", "str 'grad'", "None", "real number", "Value"):
        assert part in message, part


def test_an_interior_hook_returning_a_list_names_the_hook_not_an_engine_line() -> None:
    """A list from an interior node's hook is refused by name, before any op multiplies it."""
    x = Value(3.0)
    h = x * 2
    refused = pytest.raises(TypeError, match=r"hook .*<lambda>.*op '\*'.*returned list")
    with h.register_hook(lambda g: [g]), refused:
        (h * h).backward()


def test_a_bad_return_is_refused_inside_detect_anomaly_too() -> None:
    """The checked pass of detect_anomaly() refuses the same returns."""
    x = Value(3.0)
    refused = pytest.raises(TypeError, match="'shout'.*returned str")
    with x.register_hook(shout), sg.detect_anomaly(), refused:
        (x * 2).backward()


def test_a_bad_return_is_refused_under_create_graph() -> None:
    """A backward built as a graph refuses a string as well."""
    x = Value(3.0)
    with x.register_hook(shout), pytest.raises(TypeError, match="'shout'.*returned str"):
        (x * x).backward(create_graph=True)


def test_a_value_returned_in_a_plain_backward_leaves_a_float_grad() -> None:
    """A hook returning Value(5) in a plain backward sets x.grad to the float 5.0."""
    x = Value(3.0)
    with x.register_hook(lambda g: Value(5.0)):
        (x * 2).backward()
    assert type(x.grad) is float and x.grad == 5.0


def test_a_value_returned_on_an_interior_node_keeps_every_grad_a_float() -> None:
    """h's hook returns a Value: h's and x's grads are floats, x's = 5 × ∂h/∂x = 10."""
    x = Value(3.0)
    h = x * 2
    with h.register_hook(lambda g: Value(5.0)):
        (h * 3).backward()
    assert (type(h.grad), type(x.grad)) == (float, float)
    assert (h.grad, x.grad) == (5.0, 10.0)


def test_an_optimizer_step_after_a_value_returning_hook_keeps_the_data_a_float() -> None:
    """The bug's consequence: SGD wrote a Value into p.data; now p.data stays a float."""
    p = Value(1.0)
    with p.register_hook(lambda g: g * Value(2.0)):  # g is a float: the product is a Value
        (p * 4).backward()
    nn.SGD([p], lr=0.5).step()
    assert type(p.data) is float and p.data == 1.0 - 0.5 * 8.0


@pytest.mark.parametrize("number", [7, Fraction(7, 1)], ids=["int", "Fraction"])
def test_a_real_number_returned_becomes_the_float_grad(number: Any) -> None:
    """An int or a Fraction (any real number) replaces the gradient as a float."""
    x = Value(3.0)
    with x.register_hook(lambda g: number):
        (x * 2).backward()
    assert type(x.grad) is float and x.grad == 7.0


@pytest.mark.parametrize("name", ["float64", "int64"])
def test_a_numpy_scalar_returned_becomes_the_float_grad(name: str) -> None:
    """numpy.float64(7) and numpy.int64(7) are real numbers: accepted, stored as floats."""
    numpy = pytest.importorskip("numpy")
    x = Value(3.0)
    with x.register_hook(lambda g: getattr(numpy, name)(7)):
        (x * 2).backward()
    assert type(x.grad) is float and x.grad == 7.0


def test_a_numpy_array_returned_is_refused() -> None:
    """A numpy array (even of one number) is not a gradient of a scalar: TypeError."""
    numpy = pytest.importorskip("numpy")
    x = Value(3.0)
    refused = pytest.raises(TypeError, match="returned ndarray")
    with x.register_hook(lambda g: numpy.array([g])), refused:
        (x * 2).backward()


def test_a_number_returned_under_create_graph_becomes_a_constant_value() -> None:
    """In a pass built as a graph every grad is a Value: h's hook returns 5.0, h.grad is a
    constant Value 5 and x.grad = 5 × 2 = 10 is a Value too."""
    x = Value(3.0)
    h = x * 2
    with h.register_hook(lambda g: 5.0):
        (h * h).backward(create_graph=True)
    assert isinstance(h.grad, Value) and h.grad.data == 5.0 and not h.grad._prev
    assert isinstance(x.grad, Value) and x.grad.data == 10.0

