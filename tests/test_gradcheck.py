"""gradcheck itself: it passes on correct gradients, fails (and says where and by how much) on a
wrong one, and its finite differences agree with derivatives worked out by hand."""

from __future__ import annotations

import math

import pytest

from scalargrad import (
    GradcheckError,
    Value,
    engine_gradient,
    forward_difference,
    gradcheck,
    numerical_gradient,
)


def bad_square(x: Value) -> Value:
    """x² with a deliberately wrong local gradient: x instead of 2x."""
    return Value.from_op(x.data ** 2, [x], [x.data], "bad_square")


def good_square(x: Value) -> Value:
    """x² with the right local gradient 2x."""
    return Value.from_op(x.data ** 2, [x], [2.0 * x.data], "square")


def half_wrong_product(x: Value, y: Value) -> Value:
    """x·y with the right ∂/∂x = y but a wrong ∂/∂y = 2x (should be x)."""
    return Value.from_op(x.data * y.data, [x, y], [y.data, 2.0 * x.data], "bad_mul")


# -- it passes when the gradient is right -------------------------------------------------------

def test_passes_on_a_correct_custom_op() -> None:
    """A custom op with the right local gradient passes."""
    assert gradcheck(good_square, 3.0)


def test_passes_on_a_composite_function() -> None:
    """A function of several inputs built from many ops passes at every input."""
    result = gradcheck(lambda a, b, c: (a * b).tanh() + (c ** 2).sqrt() * a.exp() / b,
                       0.3, -1.2, 2.0)
    assert result.ok and len(result.checks) == 3


def test_passes_on_a_function_that_ignores_its_input() -> None:
    """A constant function has gradient 0 by both methods."""
    assert gradcheck(lambda x: Value(4.0), 1.5)


# -- it fails when the gradient is wrong, and says where -----------------------------------------

def test_fails_on_a_wrong_custom_op() -> None:
    """A custom op with a wrong local gradient fails."""
    assert not gradcheck(bad_square, 3.0)


def test_failure_records_both_numbers() -> None:
    """The failing check holds the engine's 3 (the wrong x) and the numeric 6 (the true 2x)."""
    check = gradcheck(bad_square, 3.0).checks[0]
    assert (check.index, check.at, check.analytic) == (0, 3.0, 3.0)
    assert math.isclose(check.numeric, 6.0, rel_tol=1e-8) and not check.ok


def test_failure_message_names_the_input_and_both_numbers() -> None:
    """The message names input 0, where it was evaluated, and both gradients."""
    result = gradcheck(bad_square, 3.0)
    check = result.checks[0]
    for words in ["FAILED", "input 0", "3.0", repr(check.analytic), repr(check.numeric)]:
        assert words in result.message, f"{words!r} not in {result.message!r}"


def test_failure_message_singles_out_the_wrong_input() -> None:
    """With two inputs of which only the second is wrong, only input 1 is a MISMATCH."""
    result = gradcheck(half_wrong_product, 2.0, 5.0)
    lines = result.message.splitlines()
    line0 = next(line for line in lines if "input 0" in line)
    line1 = next(line for line in lines if "input 1" in line)
    assert "MISMATCH" not in line0 and "MISMATCH" in line1


def test_raise_on_failure_raises_gradcheck_error() -> None:
    """raise_on_failure=True turns a mismatch into GradcheckError carrying the message."""
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(bad_square, 3.0, raise_on_failure=True)


def test_raise_on_failure_is_silent_when_correct() -> None:
    """raise_on_failure=True returns the passing result when the gradient is right."""
    assert gradcheck(good_square, 3.0, raise_on_failure=True).ok


def test_gradcheck_error_is_an_assertion_error() -> None:
    """GradcheckError subclasses AssertionError, so pytest reports it as a failed check."""
    assert issubclass(GradcheckError, AssertionError)


# -- tolerances --------------------------------------------------------------------------------

def slightly_wrong(x: Value) -> Value:
    """x² with local gradient 2x·(1 + 1e-4): off by a relative 1e-4."""
    return Value.from_op(x.data ** 2, [x], [2.0 * x.data * (1 + 1e-4)])


def test_rtol_allows_a_small_relative_error() -> None:
    """A relative error of 1e-4 passes under rtol = 1e-3 (the default)."""
    assert gradcheck(slightly_wrong, 3.0)


def test_tight_rtol_catches_a_small_relative_error() -> None:
    """The same 1e-4 relative error fails under rtol = 1e-6 and atol = 0."""
    assert not gradcheck(slightly_wrong, 3.0, rtol=1e-6, atol=0.0)


def test_gradcheck_needs_an_input() -> None:
    """gradcheck(f) with no inputs raises TypeError."""
    with pytest.raises(TypeError, match="at least one input"):
        gradcheck(lambda: Value(1.0))


# -- the finite differences against derivatives worked out by hand ------------------------------

def test_central_difference_matches_hand_derivatives() -> None:
    """f(x, y) = x·y + sin x at (2, 3): ∂f/∂x = y + cos x = 3 + cos 2, ∂f/∂y = x = 2."""
    dx, dy = numerical_gradient(lambda x, y: x * y + x.sin(), 2.0, 3.0)
    assert math.isclose(dx, 3.0 + math.cos(2.0), rel_tol=1e-8)
    assert math.isclose(dy, 2.0, rel_tol=1e-8)


def test_central_difference_of_exp_and_log() -> None:
    """d/dx (eˣ + ln x) at x = 1.5 is e^1.5 + 1/1.5."""
    (dx,) = numerical_gradient(lambda x: x.exp() + x.log(), 1.5)
    assert math.isclose(dx, math.exp(1.5) + 1 / 1.5, rel_tol=1e-8)


def test_forward_difference_of_a_square() -> None:
    """((3.01)² − 3²) / 0.01 = 6.01: the forward difference overshoots 2x by ε."""
    assert math.isclose(forward_difference(lambda x: x * x, 3.0), 6.01, rel_tol=1e-9)


def test_numerical_gradient_forward_method_has_error_of_order_eps() -> None:
    """method='forward' gives 2x + ε for x²; the central difference gives 2x."""
    forward = numerical_gradient(lambda x: x * x, 3.0, eps=1e-3, method="forward")[0]
    central = numerical_gradient(lambda x: x * x, 3.0, eps=1e-3)[0]
    assert math.isclose(forward, 6.001, rel_tol=1e-9) and math.isclose(central, 6.0, rel_tol=1e-9)


def test_numerical_gradient_rejects_an_unknown_method() -> None:
    """An unknown method name raises ValueError naming it."""
    with pytest.raises(ValueError, match="'backward'"):
        numerical_gradient(lambda x: x, 1.0, method="backward")  # type: ignore[arg-type]


def test_numerical_gradient_does_not_build_a_graph() -> None:
    """The finite differences run under no_grad: the inputs are not given any gradient."""
    x = Value(2.0)
    numerical_gradient(lambda v: v * v, x)
    assert x.grad == 0.0


def test_engine_gradient_matches_hand_derivatives() -> None:
    """engine_gradient of x·y + sin x at (2, 3) is (3 + cos 2, 2)."""
    dx, dy = engine_gradient(lambda x, y: x * y + x.sin(), 2.0, 3.0)
    assert math.isclose(dx, 3.0 + math.cos(2.0), rel_tol=1e-15) and dy == 2.0
